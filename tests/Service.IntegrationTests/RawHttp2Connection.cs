using System.Buffers.Binary;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace GracefulUpgrade.IntegrationTests;

/// <summary>
/// An HTTP/2 client connection at frame level, so a test can see the GOAWAY frame that
/// HttpClient handles out of sight: TLS with ALPN "h2", the preface, and a frame reader.
/// </summary>
internal sealed class RawHttp2Connection : IAsyncDisposable
{
    private const byte SettingsFrame = 0x4;
    private const byte GoAwayFrame = 0x7;
    private readonly TcpClient _tcp;
    private readonly SslStream _tls;

    private RawHttp2Connection(TcpClient tcp, SslStream tls)
    {
        _tcp = tcp;
        _tls = tls;
    }

    public SslApplicationProtocol Protocol => _tls.NegotiatedApplicationProtocol;

    public static async Task<RawHttp2Connection> OpenAsync(int port, X509Certificate2 authority, CancellationToken cancellationToken)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port, cancellationToken);
        var tls = new SslStream(tcp.GetStream());
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            ApplicationProtocols = [SslApplicationProtocol.Http2],
            RemoteCertificateValidationCallback = (_, presented, _, _) =>
                TestSupport.TestCertificates.IsIssuedBy(presented as X509Certificate2, authority),
        }, cancellationToken);
        var connection = new RawHttp2Connection(tcp, tls);
        await tls.WriteAsync("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray(), cancellationToken);
        await connection.WriteFrameAsync(SettingsFrame, flags: 0, cancellationToken);
        return connection;
    }

    /// <summary>Reads frames (acknowledging the server's SETTINGS) until a GOAWAY; returns its error code.</summary>
    public async Task<uint> ReadUntilGoAwayAsync(CancellationToken cancellationToken)
    {
        var header = new byte[9];
        while (true)
        {
            await _tls.ReadExactlyAsync(header, cancellationToken);
            int length = (header[0] << 16) | (header[1] << 8) | header[2];
            byte type = header[3];
            byte flags = header[4];
            var payload = new byte[length];
            await _tls.ReadExactlyAsync(payload, cancellationToken);
            if (type == SettingsFrame && (flags & 0x1) == 0)
            {
                await WriteFrameAsync(SettingsFrame, flags: 0x1, cancellationToken);
            }
            else if (type == GoAwayFrame)
            {
                return BinaryPrimitives.ReadUInt32BigEndian(payload.AsSpan(4, 4));
            }
        }
    }

    private async Task WriteFrameAsync(byte type, byte flags, CancellationToken cancellationToken)
    {
        // An empty frame on stream 0: length 0, type, flags, stream id 0.
        await _tls.WriteAsync(new byte[] { 0, 0, 0, type, flags, 0, 0, 0, 0 }, cancellationToken);
        await _tls.FlushAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _tls.DisposeAsync();
        _tcp.Dispose();
    }
}
