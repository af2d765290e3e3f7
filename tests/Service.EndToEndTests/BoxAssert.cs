using GracefulUpgrade.TestSupport;

namespace GracefulUpgrade.EndToEndTests;

/// <summary>What systemd in a box says after a package operation.</summary>
public static class BoxAssert
{
    /// <summary>Exactly one instance, this version's, is active and enabled for boot.</summary>
    public static async Task OnlyInstanceAsync(SystemdBox box, string version)
    {
        Assert.Equal([SystemdBox.Instance(version)], await box.ActiveInstancesAsync());
        Assert.Equal([SystemdBox.Instance(version)], await box.EnabledInstancesAsync());
    }

    /// <summary>
    /// The instance's last stop ended on its own (systemd's "unit succeeded" entry, by
    /// MESSAGE_ID), not in a failure such as a SIGKILL at TimeoutStopSec.
    /// </summary>
    public static async Task StoppedCleanlyAsync(SystemdBox box, string version)
    {
        var entries = await box.JournalEntriesAsync(version);
        var last = entries.LastOrDefault(e => e.FromSystemd && e.MessageId is SystemdMessage.UnitSucceeded or SystemdMessage.UnitFailed);
        Assert.True(last?.MessageId == SystemdMessage.UnitSucceeded,
            $"{SystemdBox.Instance(version)} did not stop cleanly: {last?.Message ?? "no stop in its journal"}");
    }
}
