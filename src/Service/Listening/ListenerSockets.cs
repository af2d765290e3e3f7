using System.Net;
using System.Net.Sockets;
using GracefulUpgrade.Service.Options;
using Microsoft.Extensions.Options;

namespace GracefulUpgrade.Service.Listening;

/// <summary>
/// Owns the sockets Kestrel listens on, so the drain can close them before Kestrel stops:
/// the shared SO_REUSEPORT sockets on the configured ports (Service:Listen, and
/// Service:Https:Listen when set), and private loopback sockets on ephemeral ports that only
/// the start-up self-check uses (a probe sent to a shared port could be answered by another
/// instance; these can only reach this process), one plain and, with HTTPS, one TLS.
/// The shared sockets are bound at Kestrel's start (PrepareShared) but listen only from
/// StartListening, once the self-check has passed (see DeferredListener).
/// </summary>
public sealed class ListenerSockets(IOptions<ServiceOptions>? options = null)
{
    private readonly Lock _gate = new();
    private readonly List<Socket> _shared = [];
    private readonly TaskCompletionSource<bool> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Socket? _selfCheck;
    private Socket? _tlsSelfCheck;

    /// <summary>The endpoint Kestrel is told to bind for the private self-check listener.</summary>
    public static IPEndPoint SelfCheckEndPoint { get; } = new(IPAddress.Loopback, 0);

    /// <summary>
    /// The private TLS self-check listener's endpoint: equal in value to SelfCheckEndPoint but
    /// its own object, which Kestrel hands to the transport unchanged, so CreateBound can tell them apart.
    /// </summary>
    public static IPEndPoint TlsSelfCheckEndPoint { get; } = new(IPAddress.Loopback, 0);

    public int SelfCheckPort => (_selfCheck?.LocalEndPoint as IPEndPoint)?.Port ?? 0;

    /// <summary>The private TLS self-check port; 0 when HTTPS is off.</summary>
    public int TlsSelfCheckPort => (_tlsSelfCheck?.LocalEndPoint as IPEndPoint)?.Port ?? 0;

    /// <summary>The shared listeners bound so far: plain, then HTTPS when configured.</summary>
    public IReadOnlyList<Socket> Shared
    {
        get
        {
            lock (_gate)
            {
                return [.. _shared];
            }
        }
    }

    /// <summary>True once the shared sockets listen; false if they were closed before that.</summary>
    public Task<bool> WhenListening => _listening.Task;

    /// <summary>
    /// Binds a shared socket without listening on it yet; a port that cannot be bound fails
    /// here, at Kestrel's start, naming its setting.
    /// </summary>
    public void PrepareShared(IPEndPoint endPoint)
    {
        lock (_gate)
        {
            try
            {
                _shared.Add(ReusePortSocket.CreateBound(endPoint));
            }
            catch (SocketException ex)
            {
                throw new ListenFailedException(SettingOf(endPoint), endPoint, ex);
            }
        }
    }

    /// <summary>
    /// listen() on every shared socket, which joins them to their port's SO_REUSEPORT group:
    /// from here on the kernel hands this process connections. Synchronous, so that whatever
    /// follows (READY=1, a successor's hand-over) comes after it.
    /// </summary>
    public void StartListening(int backlog)
    {
        lock (_gate)
        {
            if (_listening.Task.IsCompleted)
            {
                throw new InvalidOperationException("the shared listeners were closed before they listened");
            }
            foreach (var socket in _shared)
            {
                socket.Listen(backlog);
                ReusePortSocket.SteerNewConnectionsToTheNewest(socket);
            }
            _listening.SetResult(true);
        }
    }

    /// <summary>
    /// Whether Kestrel is binding one of the private self-check listeners rather than a shared
    /// port: the shared ports are validated to be non-zero, so port 0 is always a private one.
    /// </summary>
    public static bool IsPrivate(EndPoint endPoint) => endPoint is IPEndPoint { Port: 0 };

    /// <summary>Kestrel's SocketTransportOptions.CreateBoundListenSocket.</summary>
    public Socket CreateBound(EndPoint endPoint)
    {
        if (endPoint is not IPEndPoint ip)
        {
            throw new NotSupportedException($"Only IP listeners are supported, not {endPoint}");
        }
        lock (_gate)
        {
            if (IsPrivate(ip))
            {
                var socket = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                socket.Bind(ip);
                return ReferenceEquals(endPoint, TlsSelfCheckEndPoint) ? _tlsSelfCheck = socket : _selfCheck = socket;
            }
            // Only DeferredListener binds a shared port through the transport, after PrepareShared.
            return _shared.Single(socket => ((IPEndPoint)socket.LocalEndPoint!).Port == ip.Port);
        }
    }

    // The two shared ports are validated to differ, so the port tells which setting asked for it.
    private string SettingOf(IPEndPoint endPoint) =>
        options?.Value is { Https.Enabled: true } service && service.GetHttpsEndPoint().Port == endPoint.Port
            ? $"{ServiceOptions.SectionName}:Https:Listen"
            : $"{ServiceOptions.SectionName}:Listen";

    /// <summary>
    /// Closes every listener. With net.ipv4.tcp_migrate_req=1 the kernel hands connections that
    /// were still queued for accept to another socket in the SO_REUSEPORT group instead of
    /// resetting them.
    /// </summary>
    public void CloseAll()
    {
        lock (_gate)
        {
            _listening.TrySetResult(false);
            foreach (var shared in _shared)
            {
                // shutdown() first stops the listener in the kernel (the same inet_csk_listen_stop
                // as close(), which moves its queue). Disposing a socket with an accept pending,
                // as Kestrel's always is, makes .NET set SO_LINGER {1, 0} on it before close()
                // (seen with strace); a connection completing its handshake in between would be
                // cloned from the listener with that option, migrate to the successor and be
                // closed there with a reset instead of a FIN. Once shut down, nothing is cloned
                // from it. The pending accept fails and Kestrel's loop ends at the Dispose.
                Shutdown(shared);
                shared.Dispose();
            }
            _selfCheck?.Dispose();
            _tlsSelfCheck?.Dispose();
        }
    }

    private static void Shutdown(Socket listener)
    {
        try
        {
            listener.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // Not listening (any more): Dispose alone closes it.
        }
    }
}
