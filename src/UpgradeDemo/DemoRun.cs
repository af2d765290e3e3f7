using GracefulUpgrade.UpgradeDemo.Box;
using GracefulUpgrade.UpgradeDemo.Load;
using GracefulUpgrade.UpgradeDemo.Output;
using GracefulUpgrade.UpgradeDemo.Upgrade;

namespace GracefulUpgrade.UpgradeDemo;

/// <summary>
/// The experiment: with the old version serving in the box, start ab and the sampler, run
/// dpkg -i of the new version a quarter of the way in, let ab finish, then report and draw.
/// </summary>
internal sealed class DemoRun(DemoOptions options)
{
    private static readonly Uri Target = new("http://127.0.0.1:8080/");
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
        var box = new SystemdBox(options.BoxTool, options.Box);
        var terminal = new Terminal(oldVersion, newVersion);
        await new Preflight(box, Target, oldVersion, newVersion).CheckAsync(ServingDeadline, cancel);
        var deb = DebPackage.PathInBox(options.ToDeb);
        await box.CopyInAsync(options.ToDeb, deb, cancel);
        Console.WriteLine($"{terminal.Version(oldVersion)} is serving {Target} from box {box.Name}; " +
            $"dpkg -i of {terminal.Version(newVersion)} comes once ab is {UpgradeAt * 100:F0}% done.");

        var clock = new DemoClock();
        var timeline = new UpgradeTimeline(oldVersion, newVersion);
        await using var sampler = new Sampler(Target, clock, SamplerLoops, SamplerInterval);
        await using var load = LoadRun.Start(Target, options.Concurrency, options.Requests, clock);
        await using var progress = new LiveProgress(terminal, clock, load, sampler);
        progress.Event(load.Started, $"{load.CommandLine} started, with the sampler beside it");

        await load.WaitForShareAsync(UpgradeAt, LoadDeadline, cancel);
        await new UpgradeSteps(box, clock, timeline, progress.Step).RunAsync(deb, cancel);
        var ab = await load.WaitForResultAsync(LoadDeadline, cancel);
        progress.Event(load.Finished!.Value, $"ab finished: {ab.Complete:N0} complete, {ab.Failed:N0} failed, {ab.Non2xx:N0} non-2xx");
        var tailEnd = Max(load.Finished.Value, timeline[UpgradeStep.OldStopped] ?? TimeSpan.Zero) + Tail;
        if (tailEnd > clock.Now)
        {
            await Task.Delay(tailEnd - clock.Now, cancel);
        }
        await sampler.DisposeAsync();
        await progress.DisposeAsync();

        var outcome = new DemoOutcome(load.CommandLine, load.Started, load.Finished.Value, ab, timeline, sampler.Samples,
            $"{SamplerLoops} loops, GET / with Connection: close every {SamplerInterval.TotalMilliseconds:F0} ms",
            await BoxStateAsync(box, oldVersion, newVersion, cancel));
        new Report(outcome, terminal).Print(Console.Out);
        new SvgChart(outcome).Write(options.Chart);
        Console.WriteLine($"chart: {options.Chart}");
        return outcome.Passed ? 0 : 1;
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static async Task<string> BoxStateAsync(SystemdBox box, string oldVersion, string newVersion, CancellationToken cancel) =>
        $"{newVersion} {await box.IsActiveAsync(newVersion, cancel)}, {oldVersion} {await box.IsActiveAsync(oldVersion, cancel)}";
}
