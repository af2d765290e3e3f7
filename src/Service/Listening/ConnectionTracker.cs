using System.Collections.Concurrent;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;

namespace GracefulUpgrade.Service.Listening;

/// <summary>
/// The connections of the shared listener, counted the moment the accept loop receives them
/// (TrackingListener) and until Kestrel disposes them, plus whether that accept loop is still
/// running. Together they give the drain an exact end: once the loop has ended, no connection
/// can appear that is not already counted, so a count of zero means nothing is left.
/// </summary>
public sealed class ConnectionTracker(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, TrackedConnection> _connections = new();
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _open;
    private int _accepting;
    private int _drainRequested;

    public ConnectionTracker() : this(TimeProvider.System)
    {
    }

    internal TimeProvider Time => time;

    /// <summary>Connections accepted on the shared listener and not yet disposed.</summary>
    public int Open => Volatile.Read(ref _open);

    /// <summary>True from a shared listener's bind until the accept loops of all of them have ended.</summary>
    public bool IsAccepting => Volatile.Read(ref _accepting) > 0;

    // A count, not a flag: plain HTTP and HTTPS are two shared listeners, each with its accept loop.
    internal void AcceptingStarted() => Interlocked.Increment(ref _accepting);

    internal void AcceptingEnded()
    {
        // A full fence before reading the count: a connection's removal races with this.
        Interlocked.Decrement(ref _accepting);
        SignalIfDrained();
    }

    internal TrackedConnection Add(ConnectionContext accepted)
    {
        var connection = new TrackedConnection(accepted, this, time.GetTimestamp());
        Interlocked.Increment(ref _open);
        _connections[connection.ConnectionId] = connection;
        return connection;
    }

    internal void Remove(TrackedConnection connection)
    {
        _connections.TryRemove(new KeyValuePair<string, TrackedConnection>(connection.ConnectionId, connection));
        Interlocked.Decrement(ref _open);
        SignalIfDrained();
    }

    /// <summary>
    /// Completes once the accept loop has ended and every connection it accepted is gone.
    /// Asked for by the drain, so that the state before the listener ever started does not count.
    /// </summary>
    public Task WhenDrained()
    {
        Interlocked.Exchange(ref _drainRequested, 1);
        SignalIfDrained();
        return _drained.Task;
    }

    private void SignalIfDrained()
    {
        if (Volatile.Read(ref _drainRequested) == 1 && !IsAccepting && Open == 0)
        {
            _drained.TrySetResult();
        }
    }

    /// <summary>The shared listener's connection with this id; null for the self-check listener's.</summary>
    internal TrackedConnection? Find(string connectionId) =>
        _connections.TryGetValue(connectionId, out var connection) ? connection : null;

    /// <summary>
    /// Asks every HTTP/2 connection (ALPN "h2") to close gracefully: Kestrel sends GOAWAY, the
    /// streams already opened finish, and the client opens its next ones on a new connection,
    /// which the shared port gives to another instance. HTTP/1.1 connections are left alone:
    /// closing an idle one races with a request the client may be sending; they get
    /// "Connection: close" on their next response instead (ServiceHeaders).
    /// </summary>
    internal int RequestCloseOfHttp2Connections()
    {
        int asked = 0;
        foreach (var connection in _connections.Values)
        {
            if (IsHttp2(connection) && connection.Features.Get<IConnectionLifetimeNotificationFeature>() is { } lifetime)
            {
                lifetime.RequestClose();
                asked++;
            }
        }
        return asked;
    }

    private static bool IsHttp2(TrackedConnection connection)
    {
        try
        {
            return TlsListen.IsHttp2(connection);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ObjectDisposedException)
        {
            // The handshake has not finished (or the connection is going): no protocol yet. Seen
            // under ab -c 1000 over https: unguarded, this ended the drain with an exception and
            // cut every open connection. Its first HTTP/2 response gets GOAWAY (ServiceHeaders).
            return false;
        }
    }

    /// <summary>
    /// Aborts every connection that is not inside a request and has been waiting for one for
    /// at least <paramref name="headersTimeout"/>, or every such connection at all once
    /// <paramref name="cutAll"/> is set: a client that has not completed a request's headers
    /// by then (or an idle keep-alive one) has nothing in flight to lose. Also returns when
    /// the next connection now waiting will reach the timeout, if any does.
    /// </summary>
    internal (int Aborted, int InRequest, TimeSpan? NextDue) AbortConnectionsWithoutRequest(TimeSpan headersTimeout, bool cutAll, string reason)
    {
        int aborted = 0, inRequest = 0;
        TimeSpan? nextDue = null;
        foreach (var connection in _connections.Values)
        {
            if (connection.InRequest)
            {
                inRequest++;
                continue;
            }
            var left = headersTimeout - time.GetElapsedTime(connection.WaitingSince);
            if (cutAll || left <= TimeSpan.Zero)
            {
                connection.Abort(new ConnectionAbortedException(reason));
                aborted++;
            }
            else if (nextDue is null || left < nextDue)
            {
                nextDue = left;
            }
        }
        return (aborted, inRequest, nextDue);
    }
}
