using System.IO.Pipelines;
using System.Net.Security;
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
    /// How long an HTTP/2 connection's output is still copied after the connection's delegate
    /// has returned (see SendCloseNotify). Kestrel's frame writer writes what it still holds
    /// within milliseconds; on a busy 2-core machine that can take far longer, and nothing
    /// tells when it is done, so the copy runs for this long. It holds only a connection that
    /// is ending, and fits well inside the stop timeline's 2 s drain window
    /// (ops/systemd/graceful-upgrade-example@.service).
    /// </summary>
    internal static readonly TimeSpan FinalFramesDeadline = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Ends every TLS connection with close_notify once HTTP is done with it. Kestrel closes the
    /// TCP connection without one, which OpenSSL 3 clients report as an error ("unexpected eof
    /// while reading"): ab counts every such response as failed, and a client that reads the
    /// body until the connection closes cannot tell the end from a truncation.
    /// close_notify must come after the last byte HTTP writes, and over HTTP/2 that is later
    /// than the return of the connection's delegate: Kestrel's frame writer writes the last
    /// responses' frames from a loop of its own, and writes GOAWAY directly, so even the final
    /// GOAWAY of a graceful close can come before them. A close_notify sent on the delegate's
    /// return overtook them, and the client read the end of the connection with streams open
    /// that the server had answered ("The HTTP/2 server closed the connection": 32 to 256
    /// requests lost in a third of the HTTP/2 drains on loopback). So HTTP writes into a pipe of
    /// our own, copied to the TLS stream in order; an HTTP/2 connection's copy goes on for
    /// FinalFramesDeadline after the delegate has returned, and close_notify follows the copy.
    /// </summary>
    private static ConnectionDelegate SendCloseNotify(ConnectionDelegate next) => async connection =>
    {
        if (connection.Features.Get<ISslStreamFeature>()?.SslStream is not { } tls)
        {
            await next(connection);
            return;
        }
        var transport = connection.Transport;
        var output = new Pipe(new PipeOptions(useSynchronizationContext: false));
        connection.Transport = new TlsOutput(transport.Input, output.Writer);
        var copying = CopyAsync(output.Reader, tls);
        try
        {
            await next(connection);
            if (IsHttp2(connection))
            {
                await Task.WhenAny(copying, Task.Delay(FinalFramesDeadline));
            }
        }
        finally
        {
            await output.Writer.CompleteAsync();
            connection.Transport = transport;
        }
        if (await copying)
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

    /// <summary>Whether ALPN chose HTTP/2 for this connection; false without TLS. Asked while the handshake runs, the feature can throw (ConnectionTracker guards that).</summary>
    internal static bool IsHttp2(ConnectionContext connection) =>
        connection.Features.Get<ITlsApplicationProtocolFeature>()?.ApplicationProtocol.Span.SequenceEqual("h2"u8) == true;

    /// <summary>Copies until the output is completed; false if the TLS stream failed first.</summary>
    private static async Task<bool> CopyAsync(PipeReader reader, SslStream tls)
    {
        try
        {
            while (true)
            {
                var read = await reader.ReadAsync();
                foreach (var segment in read.Buffer)
                {
                    await tls.WriteAsync(segment);
                }
                if (!read.Buffer.IsEmpty)
                {
                    await tls.FlushAsync();
                }
                reader.AdvanceTo(read.Buffer.End);
                if (read.IsCompleted || read.IsCanceled)
                {
                    return true;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // An aborted connection: what is left cannot be sent.
            return false;
        }
        finally
        {
            await reader.CompleteAsync();
        }
    }

    private sealed class TlsOutput(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input => input;

        public PipeWriter Output => output;
    }
}
