using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace GracefulUpgrade.TestSupport;

/// <summary>
/// Slow clients, as anyone on the network can be: each opens a connection, sends a request
/// line and then one header line per second, never the blank line that ends the headers.
/// Records when the server closed each one.
/// </summary>
public sealed class TricklingClients : IAsyncDisposable
{
    private static readonly byte[] RequestLine = Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    private static readonly byte[] HeaderLine = Encoding.ASCII.GetBytes("X-Trickle: 1\r\n");

    private readonly int _port;
    private readonly Socket[] _sockets;
    private readonly Task<TimeSpan>[] _closed;
    private readonly Stopwatch _clock;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _trickle;

    private TricklingClients(int port, Socket[] sockets, TimeSpan[] openedAt, Stopwatch clock)
    {
        _port = port;
        _sockets = sockets;
        OpenedAt = openedAt;
        _clock = clock;
        _closed = sockets.Select(WaitForCloseAsync).ToArray();
        _trickle = TrickleAsync();
    }

    public int Count => _sockets.Length;

    /// <summary>When each connection was established, on this object's clock.</summary>
    public IReadOnlyList<TimeSpan> OpenedAt { get; }

    /// <summary>Time on this object's clock; compare with ClosedAtAsync.</summary>
    public TimeSpan Now => _clock.Elapsed;

    public static async Task<TricklingClients> OpenAsync(int port, int count)
    {
        var clock = Stopwatch.StartNew();
        var sockets = new Socket[count];
        var openedAt = new TimeSpan[count];
        for (int i = 0; i < count; i++)
        {
            sockets[i] = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await sockets[i].ConnectAsync(IPAddress.Loopback, port);
            openedAt[i] = clock.Elapsed;
            await sockets[i].SendAsync(RequestLine, SocketFlags.None);
        }
        return new TricklingClients(port, sockets, openedAt, clock);
    }

    /// <summary>
    /// Waits until a server process has accepted all of them and read what they sent (ss: at
    /// least Count established server-side sockets on the port, none with unread bytes), so
    /// they are the server's connections and not queued in the kernel.
    /// </summary>
    public async Task WaitUntilAcceptedAsync(TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        var clientPorts = _sockets.Select(s => ((IPEndPoint)s.LocalEndPoint!).Port).ToHashSet();
        while (true)
        {
            var ss = await Cli.ShAsync($"ss -Htn state established '( sport = :{_port} )'", TimeSpan.FromSeconds(10));
            // Columns: Recv-Q Send-Q Local Peer.
            int read = ss.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .Count(c => c.Length >= 4 && c[0] == "0" && clientPorts.Contains(IPEndPoint.Parse(c[3]).Port));
            if (read >= Count)
            {
                return;
            }
            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException($"only {read} of {Count} trickling connections were accepted and read within {timeout}");
            }
            await Task.Delay(50);
        }
    }

    /// <summary>When the server closed each connection (it never answers one), on this object's clock.</summary>
    public async Task<TimeSpan[]> ClosedAtAsync(TimeSpan timeout) => await Task.WhenAll(_closed).WaitAsync(timeout);

    private async Task<TimeSpan> WaitForCloseAsync(Socket socket)
    {
        var buffer = new byte[1024];
        try
        {
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, _stop.Token) > 0)
            {
                // An answer (e.g. 408) also ends the connection; what counts is when it is gone.
            }
        }
        catch (SocketException)
        {
            // Reset by the server's abort.
        }
        return _clock.Elapsed;
    }

    private async Task TrickleAsync()
    {
        using var tick = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await tick.WaitForNextTickAsync(_stop.Token))
            {
                for (int i = 0; i < _sockets.Length; i++)
                {
                    if (_closed[i].IsCompleted)
                    {
                        continue;
                    }
                    try
                    {
                        await _sockets[i].SendAsync(HeaderLine, SocketFlags.None);
                    }
                    catch (SocketException)
                    {
                        // Closed by the server between the check and the send.
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }
        await _trickle;
        await Task.WhenAll(_closed.Select(t => t.ContinueWith(_ => { })));
        _stop.Dispose();
    }
}
