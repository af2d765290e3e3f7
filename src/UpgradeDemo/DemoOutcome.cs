using GracefulUpgrade.Harness;
using GracefulUpgrade.UpgradeDemo.Upgrade;

namespace GracefulUpgrade.UpgradeDemo;

/// <summary>Everything one run observed, for the report and the chart.</summary>
internal sealed record DemoOutcome(
    string LoadCommand,
    TimeSpan LoadStarted,
    TimeSpan LoadFinished,
    LoadResult Ab,
    AbTimings AbTimings,
    RunClock Clock,
    UpgradeTimeline Upgrade,
    IReadOnlyList<VersionSampler.Sample> Samples,
    string SamplerDescription,
    string BoxState)
{
    public string OldVersion => Upgrade.OldVersion;

    public string NewVersion => Upgrade.NewVersion;

    public long SamplerErrors => Samples.Count(s => !s.Ok);

    /// <summary>Versions that answered but are neither the old nor the new one.</summary>
    public IReadOnlyList<string> ForeignVersions =>
        [.. Samples.Select(s => s.Version).OfType<string>().Distinct().Where(v => v != OldVersion && v != NewVersion).Order(StringComparer.Ordinal)];

    /// <summary>Every client saw success and the new version took over.</summary>
    public IReadOnlyList<string> FailureReasons
    {
        get
        {
            var reasons = new List<string>();
            if (Ab.Aborted is { } why)
            {
                reasons.Add($"ab aborted after {Ab.Completed:N0} requests: {why}");
            }
            if (Ab.Failed > 0)
            {
                reasons.Add($"ab: {Ab.Failed:N0} failed requests ({Ab.FailedBreakdown})");
            }
            if (Ab.Non2xx > 0)
            {
                reasons.Add($"ab: {Ab.Non2xx:N0} non-2xx responses");
            }
            if (SamplerErrors > 0)
            {
                reasons.Add($"sampler: {SamplerErrors:N0} failed requests");
            }
            if (ForeignVersions.Count > 0)
            {
                reasons.Add($"version(s) {string.Join(", ", ForeignVersions)} answered too: something else shares port 8080 " +
                    "(another instance of the same user joins the SO_REUSEPORT group), so this run does not show the upgrade alone");
            }
            if (!Upgrade.Completed)
            {
                reasons.Add(Upgrade.DpkgExitCode is 0 or null
                    ? $"the handover was not seen to complete ({NewVersion} ready, {OldVersion} stopped) in the box's journal"
                    : $"dpkg -i exited {Upgrade.DpkgExitCode}:\n{Upgrade.DpkgOutput.TrimEnd()}");
            }
            return reasons;
        }
    }

    public bool Passed => FailureReasons.Count == 0;
}
