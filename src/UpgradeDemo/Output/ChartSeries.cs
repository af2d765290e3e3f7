using GracefulUpgrade.UpgradeDemo.Upgrade;

namespace GracefulUpgrade.UpgradeDemo.Output;

/// <summary>
/// The sampler's responses counted per version in fixed time buckets: what the chart draws.
/// Old version first, new second, anything else after.
/// </summary>
internal sealed record ChartSeries(TimeSpan Bucket, TimeSpan End, IReadOnlyList<ChartSeries.Line> Lines, IReadOnlyList<int> ErrorBuckets)
{
    public sealed record Line(string Version, double[] Rates);

    // Past the end of the handover, so the chart shows who answers once it is over.
    private static readonly TimeSpan Margin = TimeSpan.FromMilliseconds(500);

    public int Count => Lines.Count == 0 ? 0 : Lines[0].Rates.Length;

    public double Total(int bucket) => Lines.Sum(line => line.Rates[bucket]);

    public static ChartSeries Of(DemoOutcome outcome)
    {
        // While ab ran, or until the old version stopped if that came later: alone, the sampler
        // answers many times faster and would dwarf the part under load.
        var end = outcome.Upgrade[UpgradeStep.OldStopped] is { } stopped && stopped + Margin > outcome.LoadFinished
            ? stopped + Margin
            : outcome.LoadFinished;
        // 100-250 ms: fine enough to show the handover, coarse enough not to be all noise.
        var bucket = TimeSpan.FromMilliseconds(Math.Clamp(Math.Round(end.TotalMilliseconds / 70 / 50) * 50, 100, 250));
        // Whole buckets only: a last, partly filled one would show as a false drop.
        var count = Math.Max((int)(end / bucket), 1);
        var inRange = outcome.Samples.Where(s => s.Answered < bucket * count).ToList();

        var lines = inRange.Where(s => s.Ok && s.Version is not null).GroupBy(s => s.Version!)
            .OrderBy(g => g.Key == outcome.OldVersion ? 0 : g.Key == outcome.NewVersion ? 1 : 2)
            .ThenBy(g => g.Key, StringComparer.Ordinal)
            .Select(g =>
            {
                var rates = new double[count];
                foreach (var sample in g)
                {
                    rates[(int)(sample.Answered / bucket)] += 1 / bucket.TotalSeconds;
                }
                return new Line(g.Key, rates);
            });
        var errors = inRange.Where(s => !s.Ok).Select(s => (int)(s.Answered / bucket)).Distinct().Order();
        return new ChartSeries(bucket, bucket * count, [.. lines], [.. errors]);
    }
}
