using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Options;

namespace GracefulUpgrade.Service.Listening;

/// <summary>
/// Kestrel's socket transport, registered in its place, with each shared listener deferred
/// until the self-check has passed (DeferredListener) and wrapped in a TrackingListener. The
/// private self-check listeners are left as they are: the drain is about the shared ports only.
/// </summary>
internal sealed class TrackingListenerFactory(
    IOptions<SocketTransportOptions> options,
    ILoggerFactory loggerFactory,
    ListenerSockets sockets,
    ConnectionTracker tracker) : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    private readonly SocketTransportFactory _sockets = new(options, loggerFactory);

    public bool CanBind(EndPoint endpoint) => _sockets.CanBind(endpoint);

    public async ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        // The private self-check listeners (plain and TLS) listen at once: the self-check needs them.
        if (ListenerSockets.IsPrivate(endpoint))
        {
            return await _sockets.BindAsync(endpoint, cancellationToken);
        }
        sockets.PrepareShared((IPEndPoint)endpoint);
        tracker.AcceptingStarted();
        return new TrackingListener(new DeferredListener(endpoint, sockets, _sockets), tracker);
    }
}
