using System.Security.Authentication;
using GracefulUpgrade.Service.Options;
using Microsoft.AspNetCore.Server.Kestrel.Core;
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
    }
}
