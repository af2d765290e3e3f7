using GracefulUpgrade.Harness;
using GracefulUpgrade.UpgradeDemo.Upgrade;

namespace GracefulUpgrade.UpgradeDemo.Output;

/// <summary>
/// What the chart draws. The height is ab's real request rate: requests started in each whole
/// second (ab -g keeps whole seconds only). Each second is split between the versions by their
/// shares of the sampler's responses sent in that second: ab cannot tell who answered it, the
/// sampler can. The strip below shows the sampler's shares at a finer step.
/// Versions: old first, new second, anything else after.
/// </summary>
internal sealed record ChartSeries(
    TimeSpan End, IReadOnlyList<string> Versions, IReadOnlyList<ChartSeries.RateBar> Rates,
    TimeSpan ShareBucket, IReadOnlyList<IReadOnlyDictionary<string, int>> Shares, IReadOnlyList<int> ErrorBuckets)
{
    /// <summary>One second of ab's load: its rate, and the part of it each version had (none if the sampler saw no answer).</summary>
    public sealed record RateBar(TimeSpan From, TimeSpan To, double Total, IReadOnlyDictionary<string, double> ByVersion)
    {
        public double Unattributed => Total - ByVersion.Values.Sum();
    }

    // Past the end of the handover, so the chart shows who answers once it is over.
    private static readonly TimeSpan Margin = TimeSpan.FromMilliseconds(500);
    // A sliver of a second at either end of the run would turn a few requests into a spike.
    private static readonly TimeSpan ShortestBar = TimeSpan.FromMilliseconds(100);

    public int ShareCount => Shares.Count;

    public static ChartSeries Of(DemoOutcome outcome)
    {
        var end = outcome.Upgrade[UpgradeStep.OldStopped] is { } stopped && stopped + Margin > outcome.LoadFinished
            ? stopped + Margin
            : outcome.LoadFinished;
        var versions = outcome.Samples.Select(s => s.Version).OfType<string>().Distinct()
            .OrderBy(v => v == outcome.OldVersion ? 0 : v == outcome.NewVersion ? 1 : 2).ThenBy(v => v, StringComparer.Ordinal).ToList();
        var answered = outcome.Samples.Where(s => s.Ok && s.Version is not null).ToList();

        var rates = new List<RateBar>();
        foreach (var (second, count) in outcome.AbTimings.StartedPerSecond())
        {
            var from = Max(outcome.Clock.FromUnixMicroseconds(second * 1_000_000), outcome.LoadStarted);
            var to = Min(outcome.Clock.FromUnixMicroseconds((second + 1) * 1_000_000), outcome.LoadFinished);
            if (to - from < ShortestBar)
            {
                continue;
            }
            var total = count / (to - from).TotalSeconds;
            var inSecond = answered.Where(s => s.Sent >= from && s.Sent < to).ToList();
            var byVersion = inSecond.GroupBy(s => s.Version!).ToDictionary(g => g.Key, g => total * g.Count() / inSecond.Count);
            rates.Add(new RateBar(from, to, total, byVersion));
        }

        // 100-250 ms: fine enough to show the handover, coarse enough not to be all noise.
        var bucket = TimeSpan.FromMilliseconds(Math.Clamp(Math.Round(end.TotalMilliseconds / 70 / 50) * 50, 100, 250));
        // Whole buckets only: a last, partly filled one would show as a false drop.
        var buckets = Math.Max((int)(end / bucket), 1);
        var shares = Enumerable.Range(0, buckets).Select(_ => new Dictionary<string, int>()).ToList();
        foreach (var sample in answered.Where(s => s.Answered < bucket * buckets))
        {
            var counts = shares[(int)(sample.Answered / bucket)];
            counts[sample.Version!] = counts.GetValueOrDefault(sample.Version!) + 1;
        }
        var errors = outcome.Samples.Where(s => !s.Ok && s.Answered < bucket * buckets).Select(s => (int)(s.Answered / bucket)).Distinct().Order();
        return new ChartSeries(Max(end, bucket * buckets), versions, rates, bucket, shares, [.. errors]);
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
