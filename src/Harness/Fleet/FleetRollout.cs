namespace GracefulUpgrade.Harness;

/// <summary>
/// A rollout under load through HAProxy, as the tests, the demo and the benchmark run it:
/// the load and a version sampler start first, ansible-playbook runs once the load has warmed
/// up, the load runs on for <see cref="AfterRollout"/> once the playbook has returned and is then
/// stopped as Ctrl-C stops it; then each host's state and handover. The load's own size (ab -n,
/// wrk -d) is only a bound: however fast the machine, the load spans the rollout unless it ends
/// first, which <see cref="Run.LoadSpannedRollout"/> tells.
/// </summary>
public static class FleetRollout
{
    /// <summary>How long a stop may wait for a request older than <see cref="AfterRollout"/>: past ab's own 30 s timeout.</summary>
    private static readonly TimeSpan StopDeadline = TimeSpan.FromSeconds(45);

    /// <summary>
    /// How long the load runs on after the playbook returns, and the longest any of its requests
    /// may have waited when it is stopped (<see cref="LoadGenerator.StopAsync"/>): every request
    /// left in flight then began after the rollout, and every one begun before it was counted.
    /// </summary>
    public static readonly TimeSpan AfterRollout = TimeSpan.FromSeconds(3);

    public sealed record Run(AnsibleRollout.Result Rollout, LoadResult Load, TimeSpan LoadStarted, TimeSpan LoadFinished, bool LoadRunningAtRolloutEnd,
        IReadOnlyList<VersionSampler.Sample> Samples, IReadOnlyList<HostState> Before, IReadOnlyList<HostState> After,
        IReadOnlyList<HostHandover> Handovers)
    {
        /// <summary>
        /// The load began before the rollout and was still running when the playbook returned
        /// (checked on the process then: LoadFinished is only stamped when its result is read).
        /// </summary>
        public bool LoadSpannedRollout => LoadStarted < Rollout.Started && LoadRunningAtRolloutEnd;

        /// <summary>Rollout wall time minus the sum of the hosts' own handovers: what Ansible, apt and the health gates add.</summary>
        public TimeSpan Overhead => Rollout.WallTime - Handovers.Aggregate(TimeSpan.Zero, (sum, h) => sum + h.Duration);

        public IReadOnlyDictionary<string, int> SampledVersions =>
            Samples.Where(s => s.Version is not null).GroupBy(s => s.Version!).ToDictionary(g => g.Key, g => g.Count());
    }

    /// <summary>
    /// Rolls <paramref name="version"/> out under the load <paramref name="startLoad"/> starts;
    /// the playbook starts <paramref name="warmUp"/> after the load. <paramref name="watch"/>, if
    /// given, runs beside the load until it ends (the demo's live progress).
    /// </summary>
    public static async Task<Run> UnderLoadAsync(Fleet fleet, string version, Func<RunClock, LoadGenerator> startLoad, TimeSpan warmUp,
        RunClock clock, IReadOnlyDictionary<string, string>? extraVars = null, int samplerLoops = 1,
        Func<LoadGenerator, VersionSampler, CancellationToken, Task>? watch = null, CancellationToken cancel = default)
    {
        var before = await fleet.StatesAsync();
        await using var sampler = new VersionSampler(Fleet.BalancerPort, TimeSpan.FromMilliseconds(5), samplerLoops, clock);
        await using var load = startLoad(clock);
        using var watching = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var watcher = watch?.Invoke(load, sampler, watching.Token) ?? Task.CompletedTask;
        try
        {
            return await RunAsync(fleet, version, load, sampler, before, warmUp, clock, extraVars, cancel);
        }
        finally
        {
            await watching.CancelAsync();
            try
            {
                await watcher;
            }
            catch (OperationCanceledException)
            {
                // The watcher's way of ending.
            }
        }
    }

    private static async Task<Run> RunAsync(Fleet fleet, string version, LoadGenerator load, VersionSampler sampler,
        IReadOnlyList<HostState> before, TimeSpan warmUp, RunClock clock, IReadOnlyDictionary<string, string>? extraVars,
        CancellationToken cancel)
    {
        await Task.Delay(warmUp, cancel);
        if (load.HasExited)
        {
            throw new HarnessException($"{load.Description} ended during its warm-up:\n{load.Output}");
        }
        var rollout = await AnsibleRollout.RunAsync(fleet.Inventory, version, clock, extraVars, cancel);
        var loadRunning = !load.HasExited;
        await Task.Delay(AfterRollout, cancel);
        var result = await load.StopAsync(AfterRollout, StopDeadline, cancel);
        await sampler.DisposeAsync();

        var after = await fleet.StatesAsync();
        var handovers = new List<HostHandover>();
        foreach (var (host, was) in fleet.Hosts.Zip(before))
        {
            if (was.Version is { } from && from != version && await host.HandoverAsync(from, version, clock) is { } handover
                && handover.NewStarting >= rollout.Started)
            {
                handovers.Add(handover);
            }
        }
        return new Run(rollout, result, load.Started, load.Finished ?? clock.Now, loadRunning, sampler.Samples, before, after, handovers);
    }
}
