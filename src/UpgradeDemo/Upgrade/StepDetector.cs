using System.Globalization;
using System.Text.RegularExpressions;
using GracefulUpgrade.UpgradeDemo.Box;

namespace GracefulUpgrade.UpgradeDemo.Upgrade;

/// <summary>
/// Reads the upgrade's steps off journal entries: systemd's own lines about each instance
/// ("Starting", "Started", "Stopped", "Deactivated successfully") and the service's events
/// (src/Service/Logging/Log.cs: "listening on", "Self-check passed", "Drain started", "Drain finished").
/// </summary>
internal sealed partial class StepDetector(string oldVersion, string newVersion)
{
    private readonly string _oldUnit = SystemdBox.Instance(oldVersion);
    private readonly string _newUnit = SystemdBox.Instance(newVersion);

    public StepRecord? Detect(JournalEntry entry, TimeSpan at)
    {
        var message = entry.Message;
        if (entry.Unit == _newUnit)
        {
            if (entry.FromSystemd && message.StartsWith("Starting ", StringComparison.Ordinal))
            {
                return new(UpgradeStep.NewStarting, at, $"systemd starts {newVersion}");
            }
            // Kestrel's "Now listening on:" for the shared port comes first, then the private
            // self-check port's: the first one seen is the moment the new version joins the port.
            if (!entry.FromSystemd && message.Contains("listening on", StringComparison.Ordinal))
            {
                return new(UpgradeStep.NewListening, at, $"{newVersion} listening on the shared port (SO_REUSEPORT)");
            }
            if (message.Contains("Self-check passed", StringComparison.Ordinal)
                || (entry.FromSystemd && message.StartsWith("Started ", StringComparison.Ordinal)))
            {
                return new(UpgradeStep.NewReady, at, $"{newVersion} ready: self-check passed, READY=1");
            }
        }
        else if (entry.Unit == _oldUnit)
        {
            if (message.Contains("Drain started", StringComparison.Ordinal))
            {
                return new(UpgradeStep.OldDraining, at, $"{oldVersion} draining: listener closed, queued connections move to {newVersion}");
            }
            if (DrainFinished().Match(message) is { Success: true } drained)
            {
                return new(UpgradeStep.OldDrained, at, $"{oldVersion} drain finished in {drained.Groups[1].Value} ms");
            }
            if (entry.FromSystemd && (message.StartsWith("Stopped ", StringComparison.Ordinal)
                || message.Contains("Deactivated successfully", StringComparison.Ordinal)))
            {
                return new(UpgradeStep.OldStopped, at, $"{oldVersion} stopped");
            }
        }
        return null;
    }

    public static long? DrainMilliseconds(StepRecord record) =>
        record.Step == UpgradeStep.OldDrained && DrainFinished().Match(record.Text) is { Success: true } match
            ? long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture)
            : null;

    [GeneratedRegex(@"[Dd]rain finished in (\d+) ms")]
    private static partial Regex DrainFinished();
}
