using System.Diagnostics;
using GracefulUpgrade.Service.Listening;
using GracefulUpgrade.Service.Logging;
using GracefulUpgrade.Service.Options;
using Microsoft.Extensions.Options;

namespace GracefulUpgrade.Service.Lifetime;

/// <summary>
/// The first part of stopping, which runs before Kestrel's own stop (host lifecycle
/// "Stopping" comes before every hosted service's StopAsync):
///  1. close the listening sockets, so new and queued connections go to the other instances;
///  2. answer every further request with "Connection: close" (see ServiceHeaders) and wait,
///     up to Service:DrainWindow, for clients to finish and reconnect elsewhere.
/// Kestrel's stop then closes what is left idle, lets running requests finish until
/// Service:ShutdownTimeout, and aborts the rest. Kestrel's stop alone would close connections
/// that were just accepted and not yet parsed, which is where a plain stop loses requests.
/// </summary>
public sealed class ConnectionDrainer(
    ListenerSockets listeners,
    ConnectionTracker connections,
    ReadinessState readiness,
    IOptions<ServiceOptions> options,
    ILogger<ConnectionDrainer> logger) : IHostedLifecycleService
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan QuietPeriod = TimeSpan.FromMilliseconds(250);
    private readonly Stopwatch _sinceStop = new();
    private CancellationTokenRegistration _deadline;

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        _sinceStop.Start();
        // The host cancels this token at Service:ShutdownTimeoutSeconds, which is also when
        // Kestrel aborts whatever is still open: say how much that is.
        _deadline = cancellationToken.Register(() => Log.ShutdownDeadlineReached(logger, _sinceStop.ElapsedMilliseconds, connections.Open));
        readiness.MarkDraining();
        listeners.CloseAll();
        var settings = options.Value;
        Log.ListenerClosed(logger, settings.Listen, connections.Open);

        var nextProgress = ProgressInterval;
        var window = settings.GetDrainWindow();
        // A socket accepted just before the listener closed reaches the connection count only
        // once Kestrel has dispatched it; ending the drain on the first zero would let Kestrel's
        // stop close it unanswered. So the count must stay at zero for a quiet period.
        var quietSince = TimeSpan.Zero;
        while (_sinceStop.Elapsed < window && !cancellationToken.IsCancellationRequested)
        {
            if (connections.Open > 0)
            {
                quietSince = _sinceStop.Elapsed;
            }
            else if (_sinceStop.Elapsed - quietSince >= QuietPeriod)
            {
                break;
            }
            try
            {
                await Task.Delay(PollInterval, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            if (_sinceStop.Elapsed >= nextProgress)
            {
                Log.ConnectionsRemaining(logger, connections.Open, _sinceStop.ElapsedMilliseconds);
                nextProgress += ProgressInterval;
            }
        }

        int open = connections.Open;
        if (open == 0)
        {
            Log.DrainFinished(logger, _sinceStop.ElapsedMilliseconds);
        }
        else
        {
            Log.DrainWindowEnded(logger, (long)settings.GetDrainWindow().TotalMilliseconds, open, (long)settings.GetShutdownTimeout().TotalMilliseconds);
        }
    }

    public Task StoppedAsync(CancellationToken cancellationToken)
    {
        _deadline.Dispose();
        Log.Stopped(logger, _sinceStop.ElapsedMilliseconds);
        return Task.CompletedTask;
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
