using GracefulUpgrade.TestSupport;
using Xunit.Abstractions;

namespace GracefulUpgrade.EndToEndTests;

/// <summary>
/// The fleet path (docs/fleet.md): 4 systemd hosts behind HAProxy, a signed apt repository,
/// ops/ansible/rollout.yml rolling a version across them under load through HAProxy. HAProxy
/// neither retries nor redispatches (retries 0) and drains nothing: every request the clients
/// see succeed went to a host as the host handed over. Each scenario first brings the fleet to
/// the version it starts from, so none depends on another's outcome; the one that leaves a host
/// half-configured on purpose runs last.
/// </summary>
[Collection(PackagesCollection.Name)]
[TestCaseOrderer(ScenarioOrderer.TypeName, ScenarioOrderer.AssemblyName)]
public sealed class FleetTests(FleetFixture fixture, ITestOutputHelper output) : IClassFixture<FleetFixture>
{
    private static readonly string V1 = Artifacts.V1, V2 = Artifacts.V2, Faulty = Artifacts.Faulty;

    // ab -c 1000 through HAProxy, with its default 30 s timeout. The load is stopped once the
    // rollout is done (FleetRollout.AfterRollout); ab's n and wrk's duration only bound it, far
    // past any rollout (the test asserts that the load spanned it, from the timestamps).
    // Measured: rollouts of 70-107 s under ab at 2,100-2,900 req/s, 98-167 s under wrk; CI's
    // machine ran 103 s rollouts at over 3,000 req/s.
    private const int AbConcurrency = 1000, AbRequests = 2_000_000;
    private const int WrkConnections = 200;
    private static readonly TimeSpan WrkDuration = TimeSpan.FromSeconds(330);
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(3);

    private Fleet Fleet => fixture.Fleet;

    [Fact, Scenario(1)]
    public async Task RolloutUnderAbThroughHaproxyLosesNothingAndUpgradesTheCanaryFirstAndAlone()
    {
        output.WriteLine($"fleet of {FleetFixture.Hosts} up in {Fleet.BootTime.TotalSeconds:F1} s; first install of {V1}: {fixture.FirstInstall}");
        await StartFromAsync(V1);

        var run = await FleetRollout.UnderLoadAsync(Fleet, V2, Ab, WarmUp, fixture.Clock);

        Report(run);
        AssertRolledOut(run, V1, V2);
        AssertNothingLost(run);
        AssertCanaryFirstAndAlone(run);
    }

    [Fact, Scenario(2)]
    public async Task RerunningAFinishedRolloutChangesNothingAndReplacesNoProcess()
    {
        await StartFromAsync(V2);
        var before = await Fleet.StatesAsync();

        var rerun = await AnsibleRollout.RunAsync(Fleet.Inventory, V2, fixture.Clock);

        output.WriteLine(rerun.ToString());
        Assert.True(rerun.Succeeded, rerun.Output);
        Assert.Equal(FleetFixture.Hosts, rerun.Recap.Count);
        Assert.True(rerun.Changed == 0, "a second run reported changes:\n" + rerun.Output);
        var after = await Fleet.StatesAsync();
        foreach (var (was, now) in before.Zip(after))
        {
            Assert.True(now.RunsOnly(V2), now.ToString());
            Assert.Equal(was.MainPids, now.MainPids);
        }
    }

    [Fact, Scenario(3)]
    public async Task RollbackByRollingOutTheOlderVersionUnderAbLosesNothing()
    {
        await StartFromAsync(V2);

        var run = await FleetRollout.UnderLoadAsync(Fleet, V1, Ab, WarmUp, fixture.Clock);

        Report(run);
        AssertRolledOut(run, V2, V1);
        AssertNothingLost(run);
    }

    [Fact, Scenario(4)]
    public async Task RolloutUnderWrkKeepAliveThroughHaproxyLosesNothing()
    {
        await StartFromAsync(V1);

        var run = await FleetRollout.UnderLoadAsync(Fleet, V2,
            clock => LoadGenerator.StartWrk(Fleet.BalancerPort, WrkConnections, WrkDuration, clock), WarmUp, fixture.Clock);

        Report(run);
        AssertRolledOut(run, V1, V2);
        AssertNothingLost(run);
    }

    [Fact, Scenario(5)]
    public async Task AFailedCanaryStopsTheRolloutAndEveryHostKeepsServing()
    {
        await StartFromAsync(V2);
        // The test-only build then never becomes ready: its self-check fails until its budget ends.
        foreach (var host in Fleet.Hosts)
        {
            await host.SetTestFaultAsync("selfcheck");
        }

        var run = await FleetRollout.UnderLoadAsync(Fleet, Faulty, Ab, WarmUp, fixture.Clock);

        Report(run);
        Assert.NotEqual(0, run.Rollout.ExitCode);
        var canary = Fleet.Hosts[0].Name;
        Assert.True(run.Rollout.Recap.TryGetValue(canary, out var recap) && recap.Failed > 0, "the canary did not fail:\n" + run.Rollout.Output);
        foreach (var host in Fleet.Hosts.Skip(1))
        {
            // The play stopped after the canary's batch: the others were never touched.
            Assert.True(!run.Rollout.Recap.TryGetValue(host.Name, out var untouched) || untouched is { Changed: 0, Failed: 0 },
                $"{host.Name} was touched:\n{run.Rollout.Output}");
        }
        Assert.Contains($"fatal: [{canary}]", run.Rollout.Output);
        foreach (var (was, now) in run.Before.Zip(run.After))
        {
            // Same instance, same process: the failed start replaced nothing.
            Assert.Equal(was.Active, now.Active);
            Assert.Equal(was.MainPids, now.MainPids);
            Assert.True(was.Active.SequenceEqual([SystemdBox.Instance(V2)]), was.ToString());
        }
        foreach (var host in Fleet.Hosts)
        {
            Assert.Equal(V2, await ServedVersionAsync(host));
        }
        // The faulty build never listened on the shared port (it listens only after its
        // self-check), so no client met it.
        Assert.False(run.SampledVersions.ContainsKey(Faulty), "a client was answered by the build that failed its self-check");
        AssertNothingLost(run);
    }

    private LoadGenerator Ab(RunClock clock) => LoadGenerator.StartAb(Fleet.BalancerPort, AbConcurrency, AbRequests, clock: clock);

    /// <summary>Rolls the fleet to <paramref name="version"/> without load unless every host runs exactly it already.</summary>
    private async Task StartFromAsync(string version)
    {
        if ((await Fleet.StatesAsync()).All(s => s.RunsOnly(version)))
        {
            return;
        }
        var rollout = await AnsibleRollout.RunAsync(Fleet.Inventory, version, fixture.Clock);
        output.WriteLine($"set-up: {rollout}");
        Assert.True(rollout.Succeeded, rollout.Output);
    }

    private void Report(FleetRollout.Run run)
    {
        output.WriteLine(run.Rollout.ToString());
        output.WriteLine($"{run.Load} (load from +{run.LoadStarted.TotalSeconds:F1} s to +{run.LoadFinished.TotalSeconds:F1} s, " +
            $"rollout from +{run.Rollout.Started.TotalSeconds:F1} s to +{run.Rollout.Finished.TotalSeconds:F1} s)");
        foreach (var handover in run.Handovers)
        {
            output.WriteLine($"handover {handover} from +{handover.NewStarting.TotalSeconds:F1} s");
        }
        if (run.Handovers.Count > 0)
        {
            output.WriteLine($"rollout {run.Rollout.WallTime.TotalSeconds:F1} s, sum of handovers " +
                $"{(run.Rollout.WallTime - run.Overhead).TotalSeconds:F1} s, overhead {run.Overhead.TotalSeconds:F1} s");
        }
        output.WriteLine("versions seen through HAProxy by the sampler: " + string.Join(", ", run.SampledVersions.Select(kv => $"{kv.Key}={kv.Value}")));
        foreach (var state in run.After)
        {
            output.WriteLine(state.ToString());
        }
        output.WriteLine(run.Rollout.Output);
    }

    private void AssertRolledOut(FleetRollout.Run run, string from, string to)
    {
        Assert.True(run.Rollout.Succeeded, run.Rollout.Output);
        foreach (var state in run.After)
        {
            Assert.True(state.RunsOnly(to), state.ToString());
        }
        // Every host handed over during this rollout, each from its own journal.
        Assert.Equal(Fleet.Hosts.Select(h => h.Name), run.Handovers.Select(h => h.Host).Order());
        Assert.All(run.Handovers, h => Assert.Equal((from, to), (h.From, h.To)));
        Assert.True(run.SampledVersions.ContainsKey(from) && run.SampledVersions.ContainsKey(to),
            "the sampler did not see both versions through HAProxy: " + string.Join(", ", run.SampledVersions.Keys));
    }

    private static void AssertNothingLost(FleetRollout.Run run)
    {
        // The load must have covered the whole rollout, or "0 failed" proves nothing about it.
        Assert.True(run.LoadSpannedRollout,
            $"the load ran from +{run.LoadStarted.TotalSeconds:F1} s (still running when the playbook returned: {run.LoadRunningAtRolloutEnd}), " +
            $"the rollout from +{run.Rollout.Started.TotalSeconds:F1} s to +{run.Rollout.Finished.TotalSeconds:F1} s");
        LoadScenario.AssertNothingLost(new LoadScenario.Outcome(run.Load, run.SampledVersions,
            [.. run.Samples.Where(s => !s.Ok)], [], []));
    }

    private static void AssertCanaryFirstAndAlone(FleetRollout.Run run)
    {
        var canary = run.Handovers.Single(h => h.Host == "h1");
        foreach (var other in run.Handovers.Where(h => h != canary))
        {
            Assert.True(other.NewStarting > canary.OldStopped,
                $"{other.Host} began its handover at +{other.NewStarting.TotalSeconds:F2} s, before the canary finished at +{canary.OldStopped.TotalSeconds:F2} s");
        }
    }

    private static async Task<string?> ServedVersionAsync(FleetHost host)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var response = await client.GetAsync($"http://127.0.0.1:{host.Port}/readyz");
        Assert.Equal(200, (int)response.StatusCode);
        return response.Headers.TryGetValues("X-App-Version", out var values) ? values.First() : null;
    }
}
