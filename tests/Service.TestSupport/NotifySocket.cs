using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;

namespace GracefulUpgrade.TestSupport;

/// <summary>
/// A real AF_UNIX datagram socket standing in for systemd's NOTIFY_SOCKET: every sd_notify
/// datagram the service sends arrives here, byte for byte.
/// </summary>
public sealed class NotifySocket : IDisposable
{
    private readonly Socket _socket;
    private readonly Channel<string> _messages = Channel.CreateUnbounded<string>();
    private readonly List<string> _received = [];
    private readonly string _directory;

    public NotifySocket()
    {
        _directory = Directory.CreateTempSubdirectory("notify-").FullName;
        Path = System.IO.Path.Combine(_directory, "notify.sock");
        _socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        _socket.Bind(new UnixDomainSocketEndPoint(Path));
        _ = Task.Run(ReceiveLoop);
    }

    public string Path { get; }

    /// <summary>Every datagram received so far, in order.</summary>
    public IReadOnlyList<string> Received
    {
        get
        {
            lock (_received)
            {
                return [.. _received];
            }
        }
    }

    /// <summary>
    /// The datagrams that change the unit's state (READY=1, STOPPING=1, MAINPID=), without the
    /// STATUS= lines the service sends as its connection count changes.
    /// </summary>
    public IReadOnlyList<string> StateChanges =>
        [.. Received.Where(m => !m.StartsWith("STATUS=", StringComparison.Ordinal))];

    public async Task<string> WaitForAsync(string expected, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            while (true)
            {
                var message = await _messages.Reader.ReadAsync(deadline.Token);
                if (message.Split('\n').Contains(expected))
                {
                    return message;
                }
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no '{expected}' on NOTIFY_SOCKET within {timeout}; received: [{string.Join(", ", Received)}]");
        }
    }

    private async Task ReceiveLoop()
    {
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                int length = await _socket.ReceiveAsync(buffer, SocketFlags.None);
                var message = Encoding.UTF8.GetString(buffer, 0, length);
                lock (_received)
                {
                    _received.Add(message);
                }
                await _messages.Writer.WriteAsync(message);
            }
        }
        catch (Exception) when (!_socket.Connected)
        {
            // Disposed: the test is over.
        }
    }

    public void Dispose()
    {
        _socket.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
