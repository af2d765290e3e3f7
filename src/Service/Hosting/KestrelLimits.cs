using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace GracefulUpgrade.Service.Hosting;

/// <summary>
/// Limits set explicitly rather than inherited, so hostile or broken clients meet a known
/// wall: oversized request lines and headers get 414/431, bodies over the cap 413, a client
/// that trickles its headers is dropped after the timeout.
/// </summary>
internal static class KestrelLimits
{
    public static void Apply(KestrelServerOptions kestrel)
    {
        kestrel.AddServerHeader = false;
        var limits = kestrel.Limits;
        limits.MaxRequestLineSize = 8 * 1024;
        limits.MaxRequestHeadersTotalSize = 32 * 1024;
        limits.MaxRequestHeaderCount = 100;
        // No endpoint takes a body.
        limits.MaxRequestBodySize = 64 * 1024;
        // Also how long, after SIGTERM, a connection without a complete request may hold the
        // stop (ConnectionDrainer): Kestrel itself does not enforce it while stopping.
        limits.RequestHeadersTimeout = TimeSpan.FromSeconds(10);
        limits.KeepAliveTimeout = TimeSpan.FromSeconds(120);
        limits.MinRequestBodyDataRate = new MinDataRate(bytesPerSecond: 240, gracePeriod: TimeSpan.FromSeconds(5));
    }
}
