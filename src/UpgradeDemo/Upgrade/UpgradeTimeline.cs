namespace GracefulUpgrade.UpgradeDemo.Upgrade;

/// <summary>The first time each upgrade step was seen. Written by the journal reader and dpkg's runner.</summary>
internal sealed class UpgradeTimeline(string oldVersion, string newVersion)
{
    private readonly Dictionary<UpgradeStep, StepRecord> _steps = [];
    private readonly TaskCompletionSource _oldStopped = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string OldVersion => oldVersion;

    public string NewVersion => newVersion;

    public int? DpkgExitCode { get; set; }

    public string DpkgOutput { get; set; } = "";

    /// <summary>From the old instance's listener closed to its last connection closed, both as its journal stamps them.</summary>
    public TimeSpan? Drain => this[UpgradeStep.OldDrained] - this[UpgradeStep.OldDraining];

    public Task OldStopped => _oldStopped.Task;

    /// <summary>Records a step the first time it is seen; false if it was already known.</summary>
    public bool TryRecord(StepRecord record)
    {
        lock (_steps)
        {
            if (!_steps.TryAdd(record.Step, record))
            {
                return false;
            }
        }
        if (record.Step == UpgradeStep.OldStopped)
        {
            _oldStopped.TrySetResult();
        }
        return true;
    }

    public TimeSpan? this[UpgradeStep step]
    {
        get
        {
            lock (_steps)
            {
                return _steps.TryGetValue(step, out var record) ? record.At : null;
            }
        }
    }

    public IReadOnlyList<StepRecord> Steps
    {
        get
        {
            lock (_steps)
            {
                return [.. _steps.Values.OrderBy(s => s.At)];
            }
        }
    }

    /// <summary>From dpkg -i starting to the old instance stopped: the whole handover.</summary>
    public TimeSpan? Handover => this[UpgradeStep.OldStopped] - this[UpgradeStep.DpkgStarted];

    /// <summary>From systemd starting the new instance to it being ready (self-check passed, READY=1).</summary>
    public TimeSpan? NewStartToReady => this[UpgradeStep.NewReady] - this[UpgradeStep.NewStarting];

    /// <summary>The old instance drained and stopped, the new one took over, dpkg succeeded.</summary>
    public bool Completed =>
        DpkgExitCode == 0 && this[UpgradeStep.NewReady] is not null && this[UpgradeStep.OldStopped] is not null;
}
