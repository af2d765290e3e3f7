using System.Net;
using System.Net.Sockets;

namespace GracefulUpgrade.Service.Listening;

/// <summary>
/// Owns the sockets Kestrel listens on, so the drain can close them before Kestrel stops:
/// the shared SO_REUSEPORT socket on the configured port, and a private loopback socket on
/// an ephemeral port that only the start-up self-check uses (a probe sent to the shared port
/// could be answered by another instance; this one can only reach this process).
/// </summary>
public sealed class ListenerSockets
{
    private readonly Lock _gate = new();
    private Socket? _shared;
    private Socket? _selfCheck;

    /// <summary>The endpoint Kestrel is told to bind for the private self-check listener.</summary>
    public static IPEndPoint SelfCheckEndPoint { get; } = new(IPAddress.Loopback, 0);

    public int SelfCheckPort => (_selfCheck?.LocalEndPoint as IPEndPoint)?.Port ?? 0;

    public Socket? Shared => _shared;

    /// <summary>Kestrel's SocketTransportOptions.CreateBoundListenSocket.</summary>
    public Socket CreateBound(EndPoint endPoint)
    {
        if (endPoint is not IPEndPoint ip)
        {
            throw new NotSupportedException($"Only IP listeners are supported, not {endPoint}");
        }
        lock (_gate)
        {
            // The shared port is validated to be non-zero, so port 0 is always the private one.
            if (ip.Port == 0)
            {
                var socket = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                socket.Bind(ip);
                return _selfCheck = socket;
            }
            return _shared = ReusePortSocket.CreateBound(ip);
        }
    }

    /// <summary>
    /// Closes both listeners. With net.ipv4.tcp_migrate_req=1 the kernel hands connections that
    /// were still queued for accept to another socket in the SO_REUSEPORT group instead of
    /// resetting them.
    /// </summary>
    public void CloseAll()
    {
        lock (_gate)
        {
            _shared?.Dispose();
            _selfCheck?.Dispose();
        }
    }
}
