using System.Diagnostics;
using System.Runtime.InteropServices;
using GracefulUpgrade.Service.Logging;

namespace GracefulUpgrade.Service.Lifetime;

/// <summary>
/// Reload in place, seen from the new process (started by ReloadCoordinator with the
/// predecessor's pid in its environment): once it has started like any instance (bound the
/// shared port, passed its self-check), it sends SIGUSR2 to its predecessor, which makes it
/// the unit's main process and answers SIGUSR1. Should this process, as the main one, be
/// stopped while the predecessor still drains, it waits for the predecessor to exit first
/// (bounded by the host's shutdown timeout): the main process's exit would have systemd
/// SIGKILL whatever is left in the unit.
/// </summary>
public sealed class SuccessorHandshake(
    int predecessorPid,
    MainProcessNotifier notifier,
    IHostApplicationLifetime lifetime,
    ILogger<SuccessorHandshake> logger) : IHostedLifecycleService, IDisposable
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);
    private PosixSignalRegistration? _takenOver;
    private volatile bool _isMain;

    public static int? PredecessorFromEnvironment() =>
        int.TryParse(Environment.GetEnvironmentVariable(ReloadCoordinator.PredecessorVariable), out int pid) && pid > 0 ? pid : null;

    public Task StartingAsync(CancellationToken cancellationToken)
    {
        _takenOver = PosixSignalRegistration.Create((PosixSignal)ProcessSignals.TakenOver, context =>
        {
            context.Cancel = true;
            if (!_isMain)
            {
                _isMain = true;
                notifier.TakenOver();
                Log.TookOver(logger, Environment.ProcessId, predecessorPid);
            }
        });
        // Raised after every StartedAsync, the self-check's included: exactly when a first
        // start would send READY=1.
        lifetime.ApplicationStarted.Register(TellPredecessor);
        return Task.CompletedTask;
    }

    private void TellPredecessor()
    {
        if (!ProcessSignals.Send(predecessorPid, ProcessSignals.SuccessorReady))
        {
            // Nobody left to make this process the main one: serving on would be a process
            // systemd does not supervise.
            Log.PredecessorGone(logger, predecessorPid);
            lifetime.StopApplication();
        }
    }

    public async Task StoppedAsync(CancellationToken cancellationToken)
    {
        if (!_isMain)
        {
            return;
        }
        var waited = Stopwatch.StartNew();
        while (ProcessSignals.IsAlive(predecessorPid) && !cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(PollInterval, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        if (waited.Elapsed >= PollInterval)
        {
            Log.WaitedForPredecessor(logger, predecessorPid, waited.ElapsedMilliseconds);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _takenOver?.Dispose();
}
