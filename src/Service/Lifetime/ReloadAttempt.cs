using GracefulUpgrade.Service.Hosting;

namespace GracefulUpgrade.Service.Lifetime;

public enum ReloadPhase
{
    /// <summary>No reload running: a reload request starts one.</summary>
    Idle,
    /// <summary>A successor has been started and has not yet passed its self-check.</summary>
    SuccessorStarting,
    /// <summary>The successor is the main process; this one drains and exits.</summary>
    HandedOver,
    /// <summary>This process is stopping for another reason (systemctl stop, an upgrade).</summary>
    Stopping,
}

/// <summary>
/// The rules of one process's reload, without the processes: which request is taken, which
/// successor may take over, and what a stop does to a successor that is still starting.
/// Every transition is atomic, because signals, the successor's exit and the host's stop
/// arrive on different threads.
/// </summary>
public sealed class ReloadAttempt
{
    private readonly Lock _gate = new();
    private ReloadPhase _phase = ReloadPhase.Idle;
    private int _successorPid;

    public ReloadPhase Phase
    {
        get
        {
            lock (_gate)
            {
                return _phase;
            }
        }
    }

    /// <summary>A reload may start only in a serving process with no reload running.</summary>
    public bool TryBegin()
    {
        lock (_gate)
        {
            if (_phase != ReloadPhase.Idle)
            {
                return false;
            }
            _phase = ReloadPhase.SuccessorStarting;
            _successorPid = 0;
            return true;
        }
    }

    public void SuccessorStarted(int pid)
    {
        lock (_gate)
        {
            _successorPid = pid;
        }
    }

    /// <summary>The successor says it is ready: it takes over unless this process is already stopping.</summary>
    public bool TryHandOver(out int successorPid)
    {
        lock (_gate)
        {
            successorPid = _successorPid;
            if (_phase != ReloadPhase.SuccessorStarting || _successorPid == 0)
            {
                return false;
            }
            _phase = ReloadPhase.HandedOver;
            return true;
        }
    }

    /// <summary>The successor exited or missed its deadline before it was ready: back to serving alone.</summary>
    public bool TryFail()
    {
        lock (_gate)
        {
            if (_phase != ReloadPhase.SuccessorStarting)
            {
                return false;
            }
            _phase = ReloadPhase.Idle;
            return true;
        }
    }

    /// <summary>
    /// This process begins to stop. Returns the pid of a successor that had not taken over yet
    /// (it must be stopped too, or it would be left running unsupervised), or 0.
    /// </summary>
    public int BeginStop()
    {
        lock (_gate)
        {
            switch (_phase)
            {
                case ReloadPhase.SuccessorStarting:
                    _phase = ReloadPhase.Stopping;
                    return _successorPid;
                case ReloadPhase.Idle:
                    _phase = ReloadPhase.Stopping;
                    return 0;
                default:
                    return 0;
            }
        }
    }

    /// <summary>What an exit status of a successor that never became ready means, for the journal.</summary>
    public static string DescribeExit(int exitCode) => exitCode switch
    {
        StartupFailure.ConfigError => $"exited with status {exitCode} (invalid configuration: its line above names the setting)",
        StartupFailure.Unavailable => $"exited with status {exitCode} (cannot listen: its line above says why)",
        StartupFailure.SoftwareError => $"exited with status {exitCode} (start-up or self-check failure: its line above says why)",
        > 128 and < 160 => $"was killed by signal {exitCode - 128}",
        _ => $"exited with status {exitCode}",
    };
}
