using System.Net;
using Microsoft.AspNetCore.Connections;

namespace GracefulUpgrade.Service.Listening;

/// <summary>
/// Kestrel's socket listener for the shared port, with every accepted connection counted
/// before Kestrel sees it, and the end of the accept loop reported: Kestrel's loop stops when
/// AcceptAsync returns null, which the socket transport does once the listening socket is closed.
/// </summary>
internal sealed class TrackingListener(IConnectionListener inner, ConnectionTracker tracker) : IConnectionListener
{
    private int _ended;

    public EndPoint EndPoint => inner.EndPoint;

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        ConnectionContext? accepted;
        try
        {
            accepted = await inner.AcceptAsync(cancellationToken);
        }
        catch
        {
            // Kestrel's accept loop ends on an exception too.
            Ended();
            throw;
        }
        if (accepted is null)
        {
            Ended();
            return null;
        }
        return tracker.Add(accepted);
    }

    // The tracker counts accept loops, so each listener reports its end once.
    private void Ended()
    {
        if (Interlocked.Exchange(ref _ended, 1) == 0)
        {
            tracker.AcceptingEnded();
        }
    }

    public ValueTask UnbindAsync(CancellationToken cancellationToken = default) => inner.UnbindAsync(cancellationToken);

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
