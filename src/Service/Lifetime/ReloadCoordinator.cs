using System.Diagnostics;
using System.Runtime.InteropServices;
using GracefulUpgrade.Service.Logging;

namespace GracefulUpgrade.Service.Lifetime;

/// <summary>
/// Reload in place, seen from the process being replaced (the unit's main process):
///  1. SIGHUP (systemctl reload, through the unit's ExecReload= script): start a fresh process
///     of the same binary, with the same arguments and environment, as a child;
///  2. the child binds the shared SO_REUSEPORT port and runs its self-check like any start,
///     then sends SIGUSR2 here (SuccessorHandshake);
///  3. here: MAINPID=child to systemd, SIGUSR1 to the child (now the main process), answer
///     the script, and stop through the normal host stop: ConnectionDrainer closes the
///     listener and drains.
/// If the child exits first, or is not ready within <see cref="SuccessorDeadline"/> (it is then
/// stopped), this process keeps serving untouched and the reload fails, naming the cause. A stop that arrives
/// while the child is starting stops the child too and waits for it (bounded by the host's
/// shutdown timeout), so no process is left behind unsupervised.
/// </summary>
public sealed class ReloadCoordinator(
    MainProcessNotifier notifier,
    ReadinessState readiness,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    ILogger<ReloadCoordinator> logger) : IHostedLifecycleService, IDisposable
{
    public const string PredecessorVariable = "GRACEFUL_UPGRADE_EXAMPLE_PREDECESSOR";

    /// <summary>
    /// How long a successor may take to become ready. Above the self-check budget (10 s) plus a
    /// start, below the ExecReload= script's own wait (25 s) and TimeoutStartSec (30 s), which
    /// systemd applies to a reload: the unit file's header keeps the order.
    /// </summary>
    public static readonly TimeSpan SuccessorDeadline = TimeSpan.FromSeconds(20);

    /// <summary>A successor told to stop gets this long before it is killed, if the host's own deadline is longer.</summary>
    private static readonly TimeSpan SuccessorStopGrace = TimeSpan.FromSeconds(10);

    // Captured at start: once dpkg has replaced the binary, /proc/self/exe names the old inode
    // "(deleted)", and the successor must run the file now at that path.
    private readonly string _binary = (Environment.ProcessPath ?? "/proc/self/exe").Replace(" (deleted)", "", StringComparison.Ordinal);
    private readonly ReloadAttempt _attempt = new();
    private readonly List<PosixSignalRegistration> _signals = [];
    private Process? _successor;
    private long _requestedAt;
    private long _handedOverAt;

    public ReloadPhase Phase => _attempt.Phase;

    public Task StartedAsync(CancellationToken cancellationToken)
    {
        // Registered only once this process is ready: a SIGHUP before that is ignored
        // (the signal's default would end the process).
        _signals.Add(PosixSignalRegistration.Create((PosixSignal)ProcessSignals.Reload, OnSignal));
        _signals.Add(PosixSignalRegistration.Create((PosixSignal)ProcessSignals.SuccessorReady, OnSignal));
        return Task.CompletedTask;
    }

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        if ((int)context.Signal == ProcessSignals.Reload)
        {
            BeginReload();
        }
        else
        {
            OnSuccessorReady();
        }
    }

    public void BeginReload()
    {
        if (lifetime.ApplicationStopping.IsCancellationRequested || readiness.Phase != ReadinessPhase.Ready || !_attempt.TryBegin())
        {
            Log.ReloadIgnored(logger, Environment.ProcessId, _attempt.Phase.ToString());
            ReloadResultFile.Write(Environment.ProcessId, ReloadResultFile.Failed($"pid {Environment.ProcessId} is not idle and serving ({_attempt.Phase})"));
            return;
        }
        _requestedAt = time.GetTimestamp();
        Process successor;
        try
        {
            successor = Process.Start(SuccessorStartInfo()) ?? throw new InvalidOperationException("no process was started");
        }
        catch (Exception ex)
        {
            Fail($"could not start {_binary}: {ex.Message}");
            return;
        }
        _successor = successor;
        _attempt.SuccessorStarted(successor.Id);
        Log.ReloadRequested(logger, Environment.ProcessId, successor.Id, _binary);
        _ = WatchAsync(successor);
    }

    private ProcessStartInfo SuccessorStartInfo()
    {
        var start = new ProcessStartInfo(_binary) { UseShellExecute = false };
        foreach (var arg in Environment.GetCommandLineArgs().Skip(1))
        {
            start.ArgumentList.Add(arg);
        }
        // Everything else is inherited: NOTIFY_SOCKET, JOURNAL_STREAM (its log lines go to the
        // same journal stream), the unit's sandbox, cgroup and user.
        start.Environment[PredecessorVariable] = Environment.ProcessId.ToString();
        return start;
    }

    private async Task WatchAsync(Process successor)
    {
        using var deadline = new CancellationTokenSource(SuccessorDeadline, time);
        try
        {
            await successor.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            if (_attempt.Phase == ReloadPhase.SuccessorStarting)
            {
                Fail($"successor pid {successor.Id} was not ready within {SuccessorDeadline.TotalSeconds:F0} s and is stopped");
                await StopSuccessorAsync(successor, SuccessorStopGrace, CancellationToken.None);
            }
            return;
        }
        if (_attempt.Phase == ReloadPhase.SuccessorStarting)
        {
            Fail($"successor pid {successor.Id} {ReloadAttempt.DescribeExit(successor.ExitCode)} before it was ready");
        }
        else if (_attempt.Phase == ReloadPhase.HandedOver)
        {
            Log.SuccessorExitedAfterTakeover(logger, successor.Id, ReloadAttempt.DescribeExit(successor.ExitCode));
        }
    }

    private void Fail(string cause)
    {
        if (_attempt.TryFail())
        {
            Log.ReloadFailed(logger, Environment.ProcessId, cause);
            ReloadResultFile.Write(Environment.ProcessId, ReloadResultFile.Failed(cause));
        }
    }

    private void OnSuccessorReady()
    {
        if (!_attempt.TryHandOver(out int successorPid))
        {
            Log.SuccessorReadyIgnored(logger, successorPid, _attempt.Phase.ToString());
            return;
        }
        notifier.HandOver(successorPid);
        ProcessSignals.Send(successorPid, ProcessSignals.TakenOver);
        _handedOverAt = time.GetTimestamp();
        Log.SuccessorReady(logger, successorPid, (long)time.GetElapsedTime(_requestedAt).TotalMilliseconds, Environment.ProcessId);
        ReloadResultFile.Write(Environment.ProcessId, ReloadResultFile.Ready(successorPid));
        // The normal stop: ConnectionDrainer closes the listener and drains.
        lifetime.StopApplication();
    }

    public Task StoppingAsync(CancellationToken cancellationToken)
    {
        int starting = _attempt.BeginStop();
        if (starting != 0)
        {
            Log.StoppingStartingSuccessor(logger, starting);
            ReloadResultFile.Write(Environment.ProcessId, ReloadResultFile.Failed($"pid {Environment.ProcessId} was told to stop while successor pid {starting} was starting; both stop"));
            // Stopped now, so that both drain at once; StoppedAsync waits for it.
            ProcessSignals.Send(starting, ProcessSignals.Terminate);
        }
        return Task.CompletedTask;
    }

    public async Task StoppedAsync(CancellationToken cancellationToken)
    {
        if (_attempt.Phase == ReloadPhase.HandedOver)
        {
            Log.PredecessorDrained(logger, Environment.ProcessId, (long)time.GetElapsedTime(_handedOverAt).TotalMilliseconds);
            return;
        }
        // A successor stopped during its start: wait for it, so that this process (the main one)
        // does not exit first and leave it to systemd's final SIGKILL.
        if (_successor is { HasExited: false } successor && _attempt.Phase == ReloadPhase.Stopping)
        {
            await StopSuccessorAsync(successor, SuccessorStopGrace, cancellationToken);
        }
    }

    /// <summary>
    /// SIGTERM first: a successor that has bound the port may already hold connections, and
    /// its drain hands them over like any stop. SIGKILL only if it does not exit in time.
    /// </summary>
    private static async Task StopSuccessorAsync(Process successor, TimeSpan grace, CancellationToken cancellationToken)
    {
        ProcessSignals.Send(successor.Id, ProcessSignals.Terminate);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(grace);
        try
        {
            await successor.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            ProcessSignals.Send(successor.Id, ProcessSignals.Kill);
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose()
    {
        foreach (var registration in _signals)
        {
            registration.Dispose();
        }
        _successor?.Dispose();
    }
}
