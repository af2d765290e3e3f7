namespace GracefulUpgrade.Harness;

/// <summary>
/// What one fleet host runs: the installed package version and dpkg's status for it ("ii" is
/// installed and configured; "iF" half-configured after a failed postinst), the instances
/// systemd has active and enabled, and the MainPID of each active one.
/// </summary>
public sealed record HostState(string Host, string? Version, string? DpkgStatus, IReadOnlyList<string> Active,
    IReadOnlyList<string> Enabled, IReadOnlyDictionary<string, int> MainPids)
{
    /// <summary>Version installed and configured, exactly its instance active and enabled, nothing else.</summary>
    public bool RunsOnly(string version) =>
        Version == version && DpkgStatus == "ii"
        && Active.SequenceEqual([SystemdBox.Instance(version)]) && Enabled.SequenceEqual([SystemdBox.Instance(version)]);

    public override string ToString() =>
        $"{Host}: {Version ?? "no package"} ({DpkgStatus}), active [{string.Join(", ", Active)}], enabled [{string.Join(", ", Enabled)}], " +
        $"MainPID {string.Join(", ", MainPids.Values)}";
}
