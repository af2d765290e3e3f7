using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace GracefulUpgrade.Service.Lifetime;

/// <summary>
/// One HTTP/1.1 GET over a fresh TCP connection, plain or over TLS. Deliberately not HttpClient:
/// this runs once on the start-up path, and a raw exchange costs far less to load than the HTTP stack.
/// </summary>
public static class HttpProbe
{
    public sealed record Response(int StatusCode, string? AppVersion, string? TlsProtocol = null);

    public static Task<Response> GetAsync(IPEndPoint endPoint, string path, CancellationToken cancellationToken) =>
        GetAsync(endPoint, path, expectedCertificate: null, cancellationToken);

    /// <summary>
    /// With a certificate: a TLS handshake first, which passes only if the server presents
    /// exactly that certificate (this probe asks whether our own listener serves the configured
    /// one; trust in a CA does not come into it).
    /// </summary>
    public static async Task<Response> GetAsync(IPEndPoint endPoint, string path, X509Certificate2? expectedCertificate, CancellationToken cancellationToken)
    {
        using var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(endPoint, cancellationToken);
        await using var network = new NetworkStream(socket, ownsSocket: false);
        if (expectedCertificate is null)
        {
            return await ExchangeAsync(network, path, tlsProtocol: null, cancellationToken);
        }
        await using var tls = new SslStream(network, leaveInnerStreamOpen: true);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            ApplicationProtocols = [SslApplicationProtocol.Http11],
            RemoteCertificateValidationCallback = (_, presented, _, _) =>
                presented is not null && presented.GetRawCertData().AsSpan().SequenceEqual(expectedCertificate.RawData),
        }, cancellationToken);
        return await ExchangeAsync(tls, path, tls.SslProtocol.ToString(), cancellationToken);
    }

    private static async Task<Response> ExchangeAsync(Stream stream, string path, string? tlsProtocol, CancellationToken cancellationToken)
    {
        var request = Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        await stream.WriteAsync(request, cancellationToken);
        await stream.FlushAsync(cancellationToken);

        var buffer = new byte[8192];
        int length = 0;
        while (length < buffer.Length)
        {
            int read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken);
            if (read == 0)
            {
                break;
            }
            length += read;
            if (buffer.AsSpan(0, length).IndexOf("\r\n\r\n"u8) >= 0)
            {
                break;
            }
        }
        return Parse(Encoding.ASCII.GetString(buffer, 0, length)) with { TlsProtocol = tlsProtocol };
    }

    public static Response Parse(string head)
    {
        var lines = head.Split("\r\n");
        var status = lines[0].Split(' ', 3);
        if (status.Length < 2 || !status[0].StartsWith("HTTP/1.", StringComparison.Ordinal) || !int.TryParse(status[1], out int code))
        {
            throw new InvalidDataException($"not an HTTP response: '{lines[0]}'");
        }
        string? version = null;
        foreach (var line in lines.Skip(1))
        {
            if (line.Length == 0)
            {
                break;
            }
            int colon = line.IndexOf(':');
            if (colon > 0 && line.AsSpan(0, colon).Equals(Endpoints.ServiceHeaders.AppVersion, StringComparison.OrdinalIgnoreCase))
            {
                version = line[(colon + 1)..].Trim();
            }
        }
        return new Response(code, version);
    }
}
