using System.Globalization;
using GracefulUpgrade.Harness;
using GracefulUpgrade.UpgradeDemo.Output;

namespace GracefulUpgrade.UpgradeDemo.Tools;

/// <summary>
/// ops/bench/fleet.sh: a fleet of 4 simulated hosts (ops/fleet/simulate.sh) on V1, then
/// ops/ansible/rollout.yml to V2 under ab -c 1000 through HAProxy (ab's default timeout, ab -g
/// for every request's latency; stopped 3 s after the playbook returns, N = 2,000,000 only bounds
/// it). Prints the rollout's wall time, each host's handover from its
/// journal, the overhead of the rollout over their sum, ab's failed and non-2xx requests, and
/// p99 of ab's requests started before, during and after the rollout.
/// </summary>
internal static class BenchFleet
{
    private const int Hosts = 4, Concurrency = 1000;
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(8);

    public static async Task<int> RunAsync(string[] args, CancellationToken cancel)
    {
        var v1 = args.ElementAtOrDefault(0) ?? "1.0.0";
        var v2 = args.ElementAtOrDefault(1) ?? "2.0.0";
        var requests = Environment.GetEnvironmentVariable("N") is { Length: > 0 } n ? int.Parse(n, CultureInfo.InvariantCulture) : 2_000_000;
        var debs = new[] { v1, v2 }.Select(v => Path.Combine(Repo.BuildDir, $"graceful-upgrade-example_{v}_amd64.deb")).ToList();

        using var migrateReq = new MigrateReqSysctl();
        var clock = new RunClock();
        await using var fleet = await Fleet.UpAsync(Hosts, debs, cancel);
        Console.WriteLine($"fleet of {Hosts} hosts up (simulate.sh up): {fleet.BootTime.TotalSeconds:F1} s");
        var install = await AnsibleRollout.RunAsync(fleet.Inventory, v1, clock, cancel: cancel);
        if (!install.Succeeded)
        {
            throw new HarnessException($"installing {v1} failed: {install}\n{install.Output}");
        }
        Console.WriteLine($"first install of {v1} on {Hosts} hosts: {install.WallTime.TotalSeconds:F1} s");

        var timings = Path.Combine(fleet.Dir, "ab-timings.tsv");
        var run = await FleetRollout.UnderLoadAsync(fleet, v2,
            c => LoadGenerator.StartAb(Fleet.BalancerPort, Concurrency, requests, timingsFile: timings, clock: c), WarmUp, clock, cancel: cancel);

        Console.WriteLine($"load: {run.Load.ToString()}");
        Console.WriteLine($"load spanned the rollout: {(run.LoadSpannedRollout ? "yes" : "NO")} " +
            $"(ab +{run.LoadStarted.TotalSeconds:F1}..+{run.LoadFinished.TotalSeconds:F1} s, rollout +{run.Rollout.Started.TotalSeconds:F1}..+{run.Rollout.Finished.TotalSeconds:F1} s)");
        Console.WriteLine($"rollout {v1} -> {v2}: {(run.Rollout.Succeeded ? "succeeded" : "FAILED")}, wall time {run.Rollout.WallTime.TotalSeconds:F1} s");
        foreach (var handover in run.Handovers)
        {
            Console.WriteLine($"  handover {handover.Host}: {handover.Duration.TotalMilliseconds:F0} ms " +
                $"(new ready after {(handover.NewReady - handover.NewStarting).TotalMilliseconds:F0} ms, at +{handover.NewStarting.TotalSeconds:F1} s)");
        }
        var sum = run.Rollout.WallTime - run.Overhead;
        Console.WriteLine($"sum of per-host handovers: {sum.TotalSeconds:F1} s; rollout overhead over it: {run.Overhead.TotalSeconds:F1} s " +
            $"({run.Overhead / run.Rollout.WallTime:P0} of the wall time)");

        // ab -g stamps each request's start in whole seconds: a second the rollout began or
        // ended in counts as "during".
        var ab = AbTimings.Read(timings);
        long start = clock.WallTime(run.Rollout.Started).ToUnixTimeSeconds(), end = clock.WallTime(run.Rollout.Finished).ToUnixTimeSeconds();
        foreach (var (name, phase) in new[]
        {
            ("before", ab.Requests.Where(r => r.StartUnixSeconds < start)),
            ("during", ab.Requests.Where(r => r.StartUnixSeconds >= start && r.StartUnixSeconds <= end)),
            ("after", ab.Requests.Where(r => r.StartUnixSeconds > end)),
        })
        {
            var sorted = phase.Select(r => TimeSpan.FromMilliseconds(r.TotalMs)).Order().ToList();
            Console.WriteLine($"p99 through HAProxy {name,-6}: {Ms(LatencyPhases.Percentile(sorted, 99))} ms " +
                $"(p50 {Ms(LatencyPhases.Percentile(sorted, 50))} ms, max {Ms(LatencyPhases.Percentile(sorted, 100))} ms, {sorted.Count} requests)");
        }
        var passed = run.Rollout.Succeeded && run.Load.Passed && run.LoadSpannedRollout;
        Console.WriteLine(passed ? "PASS" : "FAIL");
        return passed ? 0 : 1;
    }

    private static string Ms(double? ms) => ms is { } value ? value.ToString("0.#", CultureInfo.InvariantCulture) : "n/a";
}
