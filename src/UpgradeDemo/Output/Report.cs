using System.Globalization;
using GracefulUpgrade.Harness;
using GracefulUpgrade.UpgradeDemo.Upgrade;

namespace GracefulUpgrade.UpgradeDemo.Output;

/// <summary>The summary printed at the end: what ab saw, how the handover went, what the sampler saw, the verdict.</summary>
internal sealed class Report(DemoOutcome outcome, Terminal terminal)
{
    public void Print(TextWriter output)
    {
        var ab = outcome.Ab;
        var upgrade = outcome.Upgrade;
        output.WriteLine();
        output.WriteLine(terminal.Bold($"══ Upgrade {outcome.OldVersion} → {outcome.NewVersion} under load ══"));
        output.WriteLine($"Load: {outcome.LoadCommand}");
        Row(output, "completed requests", $"{ab.Completed:N0}");
        Row(output, "failed requests", $"{ab.Failed:N0}" + (ab.FailedBreakdown.Length > 0 ? $"   ({ab.FailedBreakdown})" : ""));
        Row(output, "non-2xx responses", $"{ab.Non2xx:N0}");
        if (ab.Aborted is null)
        {
            Row(output, "throughput", $"{ab.RequestsPerSecond:N0} req/s over {ab.Seconds:F2} s");
            Row(output, "longest request", $"{ab.LongestMs:N0} ms   (ab's default 30 s timeout; a stall past it would end the run)");
        }

        output.WriteLine();
        output.WriteLine("Handover (timed from the box's journal):");
        foreach (var step in upgrade.Steps)
        {
            output.WriteLine($"  +{step.At.TotalSeconds,6:F2} s  {step.Text}");
        }
        Row(output, "handover", Seconds(upgrade.Handover) + $"   from dpkg -i to {outcome.OldVersion} stopped");
        Row(output, $"{outcome.NewVersion} ready in", Seconds(upgrade.NewStartToReady) + "   from its start to READY=1");
        if (upgrade.Drain is { } drain)
        {
            Row(output, $"{outcome.OldVersion} drained in", $"{drain.TotalMilliseconds:F0} ms   from its listener closed to its last connection closed");
        }
        if (outcome.LoadFinished < (upgrade[UpgradeStep.OldStopped] ?? TimeSpan.MaxValue))
        {
            output.WriteLine(terminal.Bad("  note: ab finished before the handover did; run more --requests to cover all of it"));
        }
        Row(output, "box afterwards", outcome.BoxState);

        output.WriteLine();
        output.WriteLine($"Sampler ({outcome.SamplerDescription}), while ab ran:");
        output.WriteLine($"  {"",-20}{"responses",10}{"p50",10}{"p99",10}");
        foreach (var (name, latencies) in LatencyPhases.Of(outcome).Phases)
        {
            output.WriteLine($"  {name,-20}{latencies.Count,10:N0}{Ms(LatencyPhases.Percentile(latencies, 50)),10}{Ms(LatencyPhases.Percentile(latencies, 99)),10}");
        }
        var perVersion = outcome.Samples.Where(s => s.Version is not null).GroupBy(s => s.Version!)
            .OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{terminal.Version(g.Key)} {g.Count():N0}");
        Row(output, "responses by version", string.Join(",  ", perVersion) + $",  errors {outcome.SamplerErrors:N0}");
        var lastOld = outcome.Samples.Where(s => s.Version == outcome.OldVersion).Select(s => s.Answered).DefaultIfEmpty().Max();
        var firstNew = outcome.Samples.Where(s => s.Version == outcome.NewVersion).Select(s => s.Answered).DefaultIfEmpty(TimeSpan.MaxValue).Min();
        if (firstNew < lastOld)
        {
            Row(output, "both answered", $"from +{firstNew.TotalSeconds:F2} s to +{lastOld.TotalSeconds:F2} s");
        }

        output.WriteLine();
        if (outcome.Passed)
        {
            output.WriteLine(terminal.Good($"PASS: {ab.Completed:N0} requests, 0 failed, 0 non-2xx while {outcome.OldVersion} was replaced by {outcome.NewVersion}"));
        }
        else
        {
            output.WriteLine(terminal.Bad("FAIL: " + string.Join("; ", outcome.FailureReasons)));
        }
    }

    private static void Row(TextWriter output, string name, string value) => output.WriteLine($"  {name,-22}{value}");

    private static string Seconds(TimeSpan? span) => span is { } s ? $"{s.TotalSeconds:F2} s" : "not seen";

    private static string Ms(double? ms) => ms is { } value ? string.Create(CultureInfo.InvariantCulture, $"{value:F1} ms") : "n/a";
}
