using System.Net;
using Microsoft.AspNetCore.Connections;

namespace GracefulUpgrade.Service.Listening;

/// <summary>
/// A shared-port listener whose socket is bound when Kestrel starts but listens only once the
/// start-up self-check has passed (ListenerSockets.StartListening). Bound is enough to fail
/// the start at once on a port that cannot be shared; listening is what joins the port's
/// SO_REUSEPORT group, where the kernel would hand this process clients' connections. So a
/// build that never becomes ready never answers a client, and one that stops before it got
/// there leaves nothing queued behind.
/// </summary>
internal sealed class DeferredListener(EndPoint endPoint, ListenerSockets sockets, IConnectionListenerFactory transport) : IConnectionListener
{
    private readonly TaskCompletionSource _unbound = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _gate = new();
    private IConnectionListener? _inner;

    public EndPoint EndPoint => endPoint;

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        var inner = _inner ?? await ListenAsync(cancellationToken);
        return inner is null ? null : await inner.AcceptAsync(cancellationToken);
    }

    /// <summary>
    /// Waits until the sockets listen (or are closed, or this listener is unbound), then
    /// hands the socket, already listening, to Kestrel's transport for its accept loop.
    /// </summary>
    private async Task<IConnectionListener?> ListenAsync(CancellationToken cancellationToken)
    {
        var listening = sockets.WhenListening;
        await Task.WhenAny(listening, _unbound.Task).WaitAsync(cancellationToken);
        // A start that failed, or a stop that came before the self-check passed: Kestrel's
        // accept loop ends on null.
        if (_unbound.Task.IsCompleted || !await listening)
        {
            return null;
        }
        // The transport's CreateBoundListenSocket is ListenerSockets.CreateBound, which returns
        // the prepared socket; its second listen() only restates the backlog.
        var inner = await transport.BindAsync(endPoint, cancellationToken);
        lock (_gate)
        {
            if (!_unbound.Task.IsCompleted)
            {
                return _inner = inner;
            }
        }
        await inner.DisposeAsync();
        return null;
    }

    public async ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        IConnectionListener? inner;
        lock (_gate)
        {
            _unbound.TrySetResult();
            inner = _inner;
        }
        if (inner is not null)
        {
            await inner.UnbindAsync(cancellationToken);
        }
    }

    public ValueTask DisposeAsync()
    {
        _unbound.TrySetResult();
        return _inner?.DisposeAsync() ?? default;
    }
}
