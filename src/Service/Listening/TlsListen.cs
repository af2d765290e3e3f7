using System.Security.Authentication;
using GracefulUpgrade.Service.Options;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace GracefulUpgrade.Service.Listening;

/// <summary>
/// What every TLS listener (the shared HTTPS port and its private self-check twin) speaks:
/// TLS 1.2 and 1.3 with the configured certificate and chain, HTTP/1.1 and HTTP/2 chosen by ALPN.
/// </summary>
internal static class TlsListen
{
    public static void Configure(ListenOptions listen, ServerCertificate certificate)
    {
        listen.Protocols = HttpProtocols.Http1AndHttp2;
        listen.UseHttps(new HttpsConnectionAdapterOptions
        {
            ServerCertificate = certificate.Certificate,
            // Sent after the leaf, so clients that only know the root can build the path.
            ServerCertificateChain = certificate.Chain,
            SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
        });
        listen.Use(SendCloseNotify);
    }

    /// <summary>
    /// Ends every TLS connection with close_notify once HTTP is done with it. Kestrel closes the
    /// TCP connection without one, which OpenSSL 3 clients report as an error ("unexpected eof
    /// while reading"): ab counts every such response as failed, and a client that reads the
    /// body until the connection closes cannot tell the end from a truncation.
    /// </summary>
    private static ConnectionDelegate SendCloseNotify(ConnectionDelegate next) => async connection =>
    {
        await next(connection);
        if (connection.Features.Get<ISslStreamFeature>()?.SslStream is { } tls)
        {
            try
            {
                await tls.ShutdownAsync();
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
            {
                // The client is gone already (or reset the connection): nobody is left to tell.
            }
        }
    };
}
