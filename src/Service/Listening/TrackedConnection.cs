using System.IO.Pipelines;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;

namespace GracefulUpgrade.Service.Listening;

/// <summary>
/// A connection of the shared listener as Kestrel sees it: the transport's own connection,
/// with removal from the ConnectionTracker when Kestrel disposes it (the last thing Kestrel
/// does with a connection) and a count of the requests running on it.
/// </summary>
internal sealed class TrackedConnection(ConnectionContext inner, ConnectionTracker tracker, long accepted) : ConnectionContext
{
    private int _requests;
    private int _disposed;
    private long _waitingSince = accepted;

    /// <summary>True while a request on it has complete headers and its response is not yet sent.</summary>
    public bool InRequest => Volatile.Read(ref _requests) > 0;

    /// <summary>
    /// TimeProvider timestamp since which the connection has had no request in flight: its
    /// accept, or the end of its last response. A client still sending headers has been at it
    /// at most this long.
    /// </summary>
    public long WaitingSince => Volatile.Read(ref _waitingSince);

    public void RequestStarted() => Interlocked.Increment(ref _requests);

    public void RequestEnded(long now)
    {
        Volatile.Write(ref _waitingSince, now);
        Interlocked.Decrement(ref _requests);
    }

    public override string ConnectionId { get => inner.ConnectionId; set => inner.ConnectionId = value; }

    public override IFeatureCollection Features => inner.Features;

    public override IDictionary<object, object?> Items { get => inner.Items; set => inner.Items = value; }

    public override IDuplexPipe Transport { get => inner.Transport; set => inner.Transport = value; }

    public override EndPoint? LocalEndPoint { get => inner.LocalEndPoint; set => inner.LocalEndPoint = value; }

    public override EndPoint? RemoteEndPoint { get => inner.RemoteEndPoint; set => inner.RemoteEndPoint = value; }

    public override CancellationToken ConnectionClosed { get => inner.ConnectionClosed; set => inner.ConnectionClosed = value; }

    public override void Abort(ConnectionAbortedException abortReason) => inner.Abort(abortReason);

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        try
        {
            await inner.DisposeAsync();
        }
        finally
        {
            tracker.Remove(this);
        }
    }
}
