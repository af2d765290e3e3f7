using Microsoft.AspNetCore.Connections;

namespace GracefulUpgrade.Service.Listening;

/// <summary>
/// Counts open connections on the shared listener, as Kestrel connection middleware,
/// so the drain can end as soon as the last client has gone instead of waiting out its window.
/// </summary>
public sealed class ConnectionTracker
{
    private int _open;

    public int Open => Volatile.Read(ref _open);

    public ConnectionDelegate Track(ConnectionDelegate next) => async connection =>
    {
        Interlocked.Increment(ref _open);
        try
        {
            await next(connection);
        }
        finally
        {
            Interlocked.Decrement(ref _open);
        }
    };
}
