using System.Globalization;
using GracefulUpgrade.Harness;
using GracefulUpgrade.UpgradeDemo.Output;
using GracefulUpgrade.UpgradeDemo.Upgrade;

namespace GracefulUpgrade.UpgradeDemo;

/// <summary>
/// The fleet rollout seen live (ops/demo.sh --fleet): 4 simulated hosts behind HAProxy on the
/// old version, ab -c C -n N through HAProxy, ops/ansible/rollout.yml to the new version while
/// it runs. Live: each host's version and instances, ab's progress, the sampler's answers and
/// failures. Then: each host's handover from its journal, the rollout's wall time, ab's result,
/// PASS or FAIL, and the chart of the versions' shares over time across the fleet.
/// </summary>
internal sealed class FleetDemo(DemoOptions options, string fleetDir)
{
    private const int Hosts = 4, SamplerLoops = 8;
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan ProgressEvery = TimeSpan.FromSeconds(2);

    public async Task<int> RunAsync(CancellationToken cancel)
    {
        var oldVersion = await DebPackage.VersionAsync(options.FromDeb, cancel);
        var newVersion = await DebPackage.VersionAsync(options.ToDeb, cancel);
        if (oldVersion == newVersion)
        {
            throw new DemoException($"--from and --to are both version {oldVersion}: nothing to roll out");
        }
        using var migrateReq = new MigrateReqSysctl();
        Say($"booting {Hosts} hosts, a signed repository and HAProxy (ops/fleet/simulate.sh up {fleetDir})");
        await using var fleet = await Fleet.UpAsync(Hosts, [options.FromDeb, options.ToDeb], cancel, fleetDir);
        Say($"fleet up in {fleet.BootTime.TotalSeconds:F1} s; installing {oldVersion} on every host (ops/ansible/rollout.yml)");
        var clock = new RunClock();
        var install = await AnsibleRollout.RunAsync(fleet.Inventory, oldVersion, clock, cancel: cancel);
        if (!install.Succeeded)
        {
            throw new DemoException($"installing {oldVersion} failed: {install}\n{install.Output}");
        }

        var terminal = new Terminal(oldVersion, newVersion);
        Console.WriteLine($"{terminal.Version(oldVersion)} serves 127.0.0.1:{Fleet.BalancerPort} (HAProxy) from hosts " +
            $"{string.Join(", ", fleet.Hosts.Select(h => $"{h.Name} :{h.Port}"))}; the rollout of {terminal.Version(newVersion)} " +
            $"starts {WarmUp.TotalSeconds:F0} s after ab.");
        var timings = Path.Combine(fleet.Dir, "ab-timings.tsv");
        var run = await FleetRollout.UnderLoadAsync(fleet, newVersion,
            c => LoadGenerator.StartAb(Fleet.BalancerPort, options.Concurrency, options.Requests, timingsFile: timings, clock: c),
            WarmUp, clock, samplerLoops: SamplerLoops, watch: (load, sampler, stop) => WatchAsync(fleet, load, sampler, clock, terminal, stop),
            cancel: cancel);

        Console.WriteLine();
        Console.WriteLine(terminal.Bold($"rollout {oldVersion} -> {newVersion}: exit {run.Rollout.ExitCode}, {run.Rollout.WallTime.TotalSeconds:F1} s"));
        foreach (var handover in run.Handovers)
        {
            Console.WriteLine($"  {handover.Host}: handover {handover.Duration.TotalMilliseconds:F0} ms at +{handover.NewStarting.TotalSeconds:F1} s " +
                $"({newVersion} ready after {(handover.NewReady - handover.NewStarting).TotalMilliseconds:F0} ms, {oldVersion} stopped after)");
        }
        Console.WriteLine($"  sum of the handovers {(run.Rollout.WallTime - run.Overhead).TotalSeconds:F1} s; the rest, " +
            $"{run.Overhead.TotalSeconds:F1} s, is Ansible, apt and the health gates");
        foreach (var state in run.After)
        {
            Console.WriteLine($"  {state}");
        }
        Console.WriteLine($"load through HAProxy: {run.Load}");
        Console.WriteLine($"sampler through HAProxy: {run.Samples.Count:N0} requests, {run.Samples.Count(s => !s.Ok):N0} failed; " +
            string.Join(", ", run.SampledVersions.Select(kv => $"{kv.Key} answered {kv.Value:N0}")));

        var outcome = Outcome(run, $"ab -c {options.Concurrency} -n {options.Requests} -g ab-timings.tsv http://127.0.0.1:{Fleet.BalancerPort}/",
            oldVersion, newVersion, clock, timings);
        var passed = outcome.Passed && run.LoadSpannedRollout && run.After.All(s => s.RunsOnly(newVersion));
        if (!run.LoadSpannedRollout)
        {
            Console.WriteLine(terminal.Bad("ab ended before the rollout did: run with more --requests"));
        }
        foreach (var reason in outcome.FailureReasons)
        {
            Console.WriteLine(terminal.Bad(reason));
        }
        Console.WriteLine(passed
            ? terminal.Good($"PASS: {run.Load.Completed:N0} requests through HAProxy, {run.Load.Failed:N0} failed, {run.Load.Non2xx:N0} non-2xx, every host on {newVersion}")
            : terminal.Bad("FAIL"));
        new SvgChart(outcome).Write(options.Chart);
        Console.WriteLine($"chart: {options.Chart}");
        return passed ? 0 : 1;
    }

    /// <summary>A line every few seconds: ab's progress, the sampler's answers, each host's version and running instances.</summary>
    private static async Task WatchAsync(Fleet fleet, LoadGenerator load, VersionSampler sampler, RunClock clock, Terminal terminal,
        CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var states = await fleet.StatesAsync();
            var hosts = string.Join("  ", states.Select(s =>
                $"{s.Host} {terminal.Version(s.Version ?? "-")} [{string.Join("+", s.Active.Select(Instance).Select(terminal.Version))}]"));
            var recent = sampler.RecentVersions(ProgressEvery);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"+{clock.Now.TotalSeconds,5:F1} s  ab {AbProgress(load),13}  sampler {sampler.Count,6:N0} ({sampler.ErrorCount:N0} failed; " +
                $"last {ProgressEvery.TotalSeconds:F0} s: {string.Join(" ", recent.Select(kv => $"{terminal.Version(kv.Key)}={kv.Value}"))})  {hosts}"));
            await Task.Delay(ProgressEvery, stop);
        }
    }

    // ab reports progress every tenth of its -n, and -n only bounds a load that is stopped
    // after the rollout: until the first tenth, all there is to say is that it runs.
    private static string AbProgress(LoadGenerator load) => load.Progress > 0 ? $">= {load.Progress:N0} done" : "running";

    // "graceful-upgrade-example@2.0.0.service" -> "2.0.0"
    private static string Instance(string unit) => unit[(unit.IndexOf('@') + 1)..].Replace(".service", "", StringComparison.Ordinal);

    /// <summary>
    /// The single-host demo's outcome, for its verdict and chart, with the fleet's moments: the
    /// new version first ready (on the canary) and the old one last stopped (on the last host).
    /// </summary>
    private static DemoOutcome Outcome(FleetRollout.Run run, string loadCommand, string oldVersion, string newVersion, RunClock clock, string timings)
    {
        var timeline = new UpgradeTimeline(oldVersion, newVersion)
        {
            DpkgExitCode = run.Rollout.ExitCode,
            DpkgOutput = run.Rollout.Output,
        };
        if (run.Handovers.Count > 0)
        {
            timeline.TryRecord(new StepRecord(UpgradeStep.NewReady, run.Handovers.Min(h => h.NewReady), $"{newVersion} ready on the canary"));
            timeline.TryRecord(new StepRecord(UpgradeStep.OldStopped, run.Handovers.Max(h => h.OldStopped), $"{oldVersion} stopped on the last host"));
        }
        return new DemoOutcome($"{loadCommand} (HAProxy), ansible-playbook rollout.yml -e version={newVersion}", run.LoadStarted, run.LoadFinished,
            run.Load, File.Exists(timings) ? AbTimings.Read(timings) : new AbTimings([]), clock, timeline, run.Samples,
            $"{SamplerLoops} loops through HAProxy", string.Join("; ", run.After));
    }

    private static void Say(string step) => Console.Error.WriteLine($"==> {step}");
}
