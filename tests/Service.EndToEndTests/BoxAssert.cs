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
}
