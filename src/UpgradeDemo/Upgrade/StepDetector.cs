using GracefulUpgrade.Harness;

namespace GracefulUpgrade.UpgradeDemo.Upgrade;

/// <summary>
/// Reads the upgrade's steps off journal entries by structured data only: systemd's own entries
/// about each instance by MESSAGE_ID (start job begun, start job finished, stop job finished,
/// unit succeeded) and the service's events by id (src/Service/Logging/Log.cs, as ServiceEvent).
/// Rewording a message changes nothing here.
/// </summary>
internal sealed class StepDetector(string oldVersion, string newVersion)
{
    private readonly string _oldUnit = SystemdBox.Instance(oldVersion);
    private readonly string _newUnit = SystemdBox.Instance(newVersion);

    public StepRecord? Detect(JournalEntry entry, TimeSpan at)
    {
        if (entry.Unit == _newUnit)
        {
            if (entry.FromSystemd && entry.MessageId == SystemdMessage.StartJobBegun)
            {
                return new(UpgradeStep.NewStarting, at, $"systemd starts {newVersion}");
            }
            if (entry.Event == ServiceEvent.Listening)
            {
                return new(UpgradeStep.NewListening, at, $"{newVersion} listening on the shared port (SO_REUSEPORT)");
            }
            if (entry.Event == ServiceEvent.SelfCheckPassed
                || (entry.FromSystemd && entry.MessageId == SystemdMessage.StartJobFinished && entry.JobResult == "done"))
            {
                return new(UpgradeStep.NewReady, at, $"{newVersion} ready: self-check passed, READY=1");
            }
        }
        else if (entry.Unit == _oldUnit)
        {
            if (entry.Event == ServiceEvent.ListenerClosed)
            {
                return new(UpgradeStep.OldDraining, at, $"{oldVersion} draining: listener closed, queued connections move to {newVersion}");
            }
            if (entry.Event == ServiceEvent.DrainFinished)
            {
                return new(UpgradeStep.OldDrained, at, $"{oldVersion} drain finished: every connection closed");
            }
            if (entry.FromSystemd && entry.MessageId is SystemdMessage.StopJobFinished or SystemdMessage.UnitSucceeded)
            {
                return new(UpgradeStep.OldStopped, at, $"{oldVersion} stopped");
            }
        }
        return null;
    }
}
