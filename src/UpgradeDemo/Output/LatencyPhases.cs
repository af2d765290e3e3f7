using GracefulUpgrade.Harness;
using GracefulUpgrade.UpgradeDemo.Upgrade;

namespace GracefulUpgrade.UpgradeDemo.Output;

/// <summary>The sampler's successful responses split at the handover: before, during, after (while ab ran).</summary>
internal sealed record LatencyPhases(IReadOnlyList<(string Name, IReadOnlyList<TimeSpan> Latencies)> Phases)
{
    public static LatencyPhases Of(DemoOutcome outcome)
    {
        var upgrade = outcome.Upgrade;
        var start = upgrade[UpgradeStep.DpkgStarted] ?? TimeSpan.MaxValue;
        var end = upgrade[UpgradeStep.OldStopped] ?? upgrade[UpgradeStep.DpkgFinished] ?? TimeSpan.MaxValue;
        // After ab ends the sampler has the service to itself: its latencies would flatter "after".
        var underLoad = outcome.Samples.Where(s => s.Ok && s.Sent >= outcome.LoadStarted && s.Answered <= outcome.LoadFinished).ToList();
        return new LatencyPhases(
        [
            ("before", Latencies(underLoad.Where(s => s.Sent < start))),
            ("during", Latencies(underLoad.Where(s => s.Sent >= start && s.Sent < end))),
            ("after", Latencies(underLoad.Where(s => s.Sent >= end))),
        ]);
    }

    private static List<TimeSpan> Latencies(IEnumerable<VersionSampler.Sample> samples) => [.. samples.Select(s => s.Latency).Order()];

    /// <summary>Nearest-rank percentile of sorted latencies, in milliseconds.</summary>
    public static double? Percentile(IReadOnlyList<TimeSpan> sorted, double percent) =>
        sorted.Count == 0 ? null : sorted[Math.Clamp((int)Math.Ceiling(percent / 100 * sorted.Count) - 1, 0, sorted.Count - 1)].TotalMilliseconds;
}
