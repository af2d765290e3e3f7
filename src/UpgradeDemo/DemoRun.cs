using GracefulUpgrade.Harness;
using GracefulUpgrade.UpgradeDemo.Output;
using GracefulUpgrade.UpgradeDemo.Upgrade;

namespace GracefulUpgrade.UpgradeDemo;

/// <summary>
/// The experiment: boot a box, install the old version, start ab and the sampler, run dpkg -i
/// of the new version a quarter of the way in, let ab finish, then report and draw.
/// </summary>
internal sealed class DemoRun(DemoOptions options)
{
    private const double UpgradeAt = 0.25;
    private const int SamplerLoops = 8;
    private static readonly TimeSpan SamplerInterval = TimeSpan.FromMilliseconds(5);
    private static readonly TimeSpan ServingDeadline = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan LoadDeadline = TimeSpan.FromMinutes(10);
    // The sampler goes on a little after ab and the handover, so the chart shows who answers then.
    private static readonly TimeSpan Tail = TimeSpan.FromMilliseconds(600);

    public async Task<int> RunAsync(CancellationToken cancel)
    {
        var oldVersion = await DebPackage.VersionAsync(options.FromDeb, cancel);
        var newVersion = await DebPackage.VersionAsync(options.ToDeb, cancel);
        if (oldVersion == newVersion)
        {
            throw new DemoException($"--from and --to are both version {oldVersion}: nothing to upgrade");
        }
        // On the host: the box shares its network namespace, and /proc/sys is read-only inside.
        using var migrateReq = new MigrateReqSysctl();
        Say("booting a throwaway systemd (ops/systemd-box)");
        await using var box = await SystemdBox.StartAsync("demo", cancel);
        Say($"installing {oldVersion} in box {box.Name}");
        (await box.DpkgInstallAsync(options.FromDeb)).EnsureSuccess($"dpkg -i {Path.GetFileName(options.FromDeb)}");
        await new Preflight(box, oldVersion, newVersion).CheckAsync(ServingDeadline, cancel);
        var deb = await box.CopyInAsync(options.ToDeb, cancel);

        var terminal = new Terminal(oldVersion, newVersion);
        Console.WriteLine($"{terminal.Version(oldVersion)} is serving 127.0.0.1:{SystemdBox.Port} from box {box.Name}; " +
            $"dpkg -i of {terminal.Version(newVersion)} comes once ab is {UpgradeAt * 100:F0}% done.");
        var work = Directory.CreateTempSubdirectory("gue-demo-");
        try
        {
            return await UpgradeUnderLoadAsync(box, terminal, deb, oldVersion, newVersion, Path.Combine(work.FullName, "ab-timings.tsv"), cancel);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    private async Task<int> UpgradeUnderLoadAsync(SystemdBox box, Terminal terminal, string deb, string oldVersion, string newVersion,
        string timingsFile, CancellationToken cancel)
    {
        var clock = new RunClock();
        var timeline = new UpgradeTimeline(oldVersion, newVersion);
        await using var sampler = new VersionSampler(SystemdBox.Port, SamplerInterval, SamplerLoops, clock);
        await using var load = LoadGenerator.StartAb(SystemdBox.Port, options.Concurrency, options.Requests, timingsFile: timingsFile, clock: clock);
        await using var progress = new LiveProgress(terminal, clock, load, sampler);
        progress.Event(load.Started, $"{load.Description} started, with the sampler beside it");

        // If ab ends first (it gives up on a request stalled for 30 s), there is no upgrade to
        // run: the report says why ab ended.
        if (await WaitForShareAsync(load, clock, UpgradeAt, cancel))
        {
            await new UpgradeSteps(box, clock, timeline, progress.Step).RunAsync(deb, cancel);
        }
        var ab = await load.WaitForResultAsync(LoadDeadline, cancel);
        progress.Event(load.Finished!.Value, ab.Aborted is null
            ? $"ab finished: {ab.Completed:N0} complete, {ab.Failed:N0} failed, {ab.Non2xx:N0} non-2xx, longest request {ab.LongestMs:N0} ms"
            : $"ab aborted after {ab.Completed:N0} requests: {ab.Aborted}");
        var tailEnd = Max(load.Finished.Value, timeline[UpgradeStep.OldStopped] ?? TimeSpan.Zero) + Tail;
        if (tailEnd > clock.Now)
        {
            await Task.Delay(tailEnd - clock.Now, cancel);
        }
        await sampler.DisposeAsync();
        await progress.DisposeAsync();

        // The command as a reader would type it: the timings file by its name, not its temporary path.
        var command = load.Description.Replace(timingsFile, Path.GetFileName(timingsFile), StringComparison.Ordinal);
        var outcome = new DemoOutcome(command, load.Started, load.Finished.Value, ab,
            File.Exists(timingsFile) ? AbTimings.Read(timingsFile) : new AbTimings([]), clock, timeline, sampler.Samples,
            sampler.Description, await BoxStateAsync(box, oldVersion, newVersion, cancel));
        new Report(outcome, terminal).Print(Console.Out);
        new SvgChart(outcome).Write(options.Chart);
        Console.WriteLine($"chart: {options.Chart}");
        return outcome.Passed ? 0 : 1;
    }

    /// <summary>
    /// Returns true when about <paramref name="share"/> of the requests are done, false if ab
    /// ended before. ab only reports every 10%, so the moment is extrapolated from its last
    /// report at its rate so far.
    /// </summary>
    private static async Task<bool> WaitForShareAsync(LoadGenerator load, RunClock clock, double share, CancellationToken cancel)
    {
        var target = (long)(load.Requests!.Value * share);
        var giveUp = clock.Now + LoadDeadline;
        while (true)
        {
            cancel.ThrowIfCancellationRequested();
            if (load.HasExited)
            {
                return false;
            }
            if (clock.Now > giveUp)
            {
                throw new DemoException($"{load.Description} did not reach {target} requests within {LoadDeadline.TotalSeconds:F0} s");
            }
            if (load.Marks is [.., var last] && last.Completed > 0)
            {
                var rate = last.Completed / (last.At - load.Started).TotalSeconds;
                if (clock.Now >= last.At + TimeSpan.FromSeconds((target - last.Completed) / rate))
                {
                    return true;
                }
            }
            await Task.Delay(10, cancel);
        }
    }

    private static void Say(string step) => Console.Error.WriteLine($"==> {step}");

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static async Task<string> BoxStateAsync(SystemdBox box, string oldVersion, string newVersion, CancellationToken cancel) =>
        $"{newVersion} {await box.SystemctlAsync("is-active", newVersion, cancel)}, {oldVersion} {await box.SystemctlAsync("is-active", oldVersion, cancel)}";
}
