using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Options;

namespace GracefulUpgrade.Service.Listening;

/// <summary>
/// Kestrel's socket transport, registered in its place, with the shared listener wrapped in a
/// TrackingListener. The private self-check listener is left as it is: the drain is about
/// the shared port only.
/// </summary>
internal sealed class TrackingListenerFactory(
    IOptions<SocketTransportOptions> options,
    ILoggerFactory loggerFactory,
    ConnectionTracker tracker) : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    private readonly SocketTransportFactory _sockets = new(options, loggerFactory);

    public bool CanBind(EndPoint endpoint) => _sockets.CanBind(endpoint);

    public async ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        var listener = await _sockets.BindAsync(endpoint, cancellationToken);
        if (endpoint.Equals(ListenerSockets.SelfCheckEndPoint))
        {
            return listener;
        }
        tracker.AcceptingStarted();
        return new TrackingListener(listener, tracker);
    }
}
