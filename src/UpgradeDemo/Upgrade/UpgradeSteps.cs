using GracefulUpgrade.Harness;

namespace GracefulUpgrade.UpgradeDemo.Upgrade;

/// <summary>
/// Runs `dpkg -i` of the new version inside the box and, meanwhile, follows the box's journal
/// to time each step of the handover it sets off (the package's postinst starts the new
/// instance, waits for it to be ready, then stops the old one, which drains).
/// </summary>
internal sealed class UpgradeSteps(SystemdBox box, RunClock clock, UpgradeTimeline timeline, Action<StepRecord> onStep)
{
    // dpkg returns once the old instance is stopped; its journal lines can trail by a moment.
    private static readonly TimeSpan JournalLag = TimeSpan.FromSeconds(10);

    public async Task RunAsync(string debInBox, CancellationToken cancel)
    {
        var started = clock.Now;
        await using var journal = JournalFollower.Start(box, clock.WallTime(started) - TimeSpan.FromSeconds(1),
            SystemdBox.Instance(timeline.OldVersion), SystemdBox.Instance(timeline.NewVersion));
        var watching = WatchAsync(journal, started, cancel);

        Record(new(UpgradeStep.DpkgStarted, started, $"dpkg -i {debInBox}"));
        var dpkg = await box.ExecAsync(cancel, "dpkg", "-i", debInBox);
        timeline.DpkgExitCode = dpkg.ExitCode;
        timeline.DpkgOutput = dpkg.Output + dpkg.Error;
        Record(new(UpgradeStep.DpkgFinished, clock.Now, $"dpkg -i finished, exit code {dpkg.ExitCode}"));

        if (dpkg.ExitCode == 0)
        {
            await Task.WhenAny(timeline.OldStopped, Task.Delay(JournalLag, cancel));
            cancel.ThrowIfCancellationRequested();
        }
        await journal.DisposeAsync();
        await watching;
    }

    private async Task WatchAsync(JournalFollower journal, TimeSpan since, CancellationToken cancel)
    {
        var detector = new StepDetector(timeline.OldVersion, timeline.NewVersion);
        try
        {
            await foreach (var entry in journal.Entries.ReadAllAsync(cancel))
            {
                var at = clock.FromUnixMicroseconds(entry.RealtimeMicroseconds);
                if (at >= since - TimeSpan.FromMilliseconds(50) && detector.Detect(entry, at) is { } step)
                {
                    Record(step);
                }
            }
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            // The demo was interrupted; the caller unwinds.
        }
    }

    private void Record(StepRecord step)
    {
        if (timeline.TryRecord(step))
        {
            onStep(step);
        }
    }
}
