using GracefulUpgrade.Service.Listening;
using GracefulUpgrade.Service.Logging;
using GracefulUpgrade.Service.Options;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace GracefulUpgrade.Service.Lifetime;

/// <summary>
/// The first part of stopping, which runs before Kestrel's own stop (host lifecycle
/// "Stopping" comes before every hosted service's StopAsync). Kestrel's stop alone would close
/// connections that were just accepted and not yet parsed, which is where a plain stop loses
/// requests. The stop timeline with its numbers and settings is written once, in the header of
/// ops/systemd/graceful-upgrade-example@.service; this class implements its steps:
///  - close the listening sockets (queued connections migrate to the other instances) and
///    answer every further HTTP/1.1 request with "Connection: close" (see ServiceHeaders), and
///    send every HTTP/2 connection GOAWAY (ConnectionTracker.RequestCloseOfHttp2Connections);
///  - wait until the accept loop has ended and every connection it accepted is gone, or the
///    drain window has passed; Kestrel's stop follows;
///  - abort every connection without a request in flight once it has waited for one for the
///    request-headers timeout (since its accept or its last response), and every such
///    connection at that timeout after the drain began: a client that never completes its
///    headers cannot hold the stop until the shutdown deadline, while a request in flight
///    still runs until it.
/// </summary>
public sealed class ConnectionDrainer(
    ListenerSockets listeners,
    ConnectionTracker connections,
    ReadinessState readiness,
    IOptions<ServiceOptions> options,
    IOptions<KestrelServerOptions> kestrel,
    TimeProvider time,
    ILogger<ConnectionDrainer> logger) : IHostedLifecycleService
{
    internal static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(500);
    private long _stopStarted;
    private CancellationTokenRegistration _deadline;
    private ITimer? _headersTimeout;

    private long ElapsedMs => (long)time.GetElapsedTime(_stopStarted).TotalMilliseconds;

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        _stopStarted = time.GetTimestamp();
        // The host cancels this token at Service:ShutdownTimeoutSeconds, which is also when
        // Kestrel aborts whatever is still open: say how much that is.
        _deadline = cancellationToken.Register(() => Log.ShutdownDeadlineReached(logger, ElapsedMs, connections.Open));
        readiness.MarkDraining();
        listeners.CloseAll();
        var settings = options.Value;
        Log.ListenerClosed(logger, settings.DescribeListeners(), connections.Open);
        if (settings.Https.Enabled)
        {
            Log.Http2GoAwaySent(logger, connections.RequestCloseOfHttp2Connections());
        }

        // First check at once: a slow client may have been at its headers for longer already.
        _headersTimeout = time.CreateTimer(_ => AbortIncompleteRequests(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _headersTimeout.Change(TimeSpan.Zero, Timeout.InfiniteTimeSpan);

        var window = settings.GetDrainWindow();
        var drained = connections.WhenDrained();
        // Both timers start now, so a fake clock in the tests sees every due time.
        var waiting = drained.WaitAsync(window, time, cancellationToken);
        using (time.CreateTimer(_ => ReportProgress(window), null, ProgressInterval, ProgressInterval))
        {
            try
            {
                await waiting;
            }
            catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
            {
                // The window has passed, or the shutdown deadline came first: Kestrel's stop takes over.
            }
        }

        if (drained.IsCompleted)
        {
            Log.DrainFinished(logger, ElapsedMs);
        }
        else
        {
            Log.DrainWindowEnded(logger, (long)window.TotalMilliseconds, connections.Open, (long)settings.GetShutdownTimeout().TotalMilliseconds);
        }
    }

    private void ReportProgress(TimeSpan window)
    {
        if (time.GetElapsedTime(_stopStarted) < window)
        {
            Log.ConnectionsRemaining(logger, connections.Open, ElapsedMs);
        }
    }

    /// <summary>
    /// Cuts connections without a request in flight once they have waited for one (since
    /// their accept or their last response) for the request-headers timeout, and all of them
    /// at that timeout after the drain began; then sets itself for the next one due.
    /// </summary>
    private void AbortIncompleteRequests()
    {
        var headersTimeout = kestrel.Value.Limits.RequestHeadersTimeout;
        var sinceStop = time.GetElapsedTime(_stopStarted);
        bool cutAll = sinceStop >= headersTimeout;
        var (aborted, inRequest, nextDue) = connections.AbortConnectionsWithoutRequest(headersTimeout, cutAll,
            "no complete request within the request-headers timeout during the drain");
        if (aborted > 0)
        {
            Log.IncompleteRequestsAborted(logger, (long)headersTimeout.TotalMilliseconds, aborted, inRequest, ElapsedMs);
        }
        if (!cutAll)
        {
            // A connection accepted or answered later than the ones seen now can only be due
            // later, and never after the cut-all point.
            var next = headersTimeout - sinceStop;
            if (nextDue is { } due && due < next)
            {
                next = due;
            }
            _headersTimeout?.Change(next, Timeout.InfiniteTimeSpan);
        }
    }

    public Task StoppedAsync(CancellationToken cancellationToken)
    {
        _headersTimeout?.Dispose();
        _deadline.Dispose();
        Log.Stopped(logger, ElapsedMs);
        return Task.CompletedTask;
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
