using GracefulUpgrade.TestSupport;

namespace GracefulUpgrade.EndToEndTests;

/// <summary>The README's first command, shortened, so it cannot rot unnoticed.</summary>
[Collection(PackagesCollection.Name)]
public sealed class DemoTests(Packages packages)
{
    [Fact]
    public async Task ShortDemoPassesAndLeavesNothingBehind()
    {
        Assert.NotNull(packages[Artifacts.V2]); // built once for the run; the demo reuses them
        var chart = Path.Combine(Repo.BuildDir, "demo", "ci-upgrade.svg");
        Directory.CreateDirectory(Path.GetDirectoryName(chart)!);
        File.Delete(chart);

        var demo = await Cli.RunAsync(Path.Combine(Repo.Root, "ops", "demo.sh"), ["--requests", "40000", "--chart", chart],
            TimeSpan.FromMinutes(10));

        var text = demo.Output + demo.Error;
        Assert.True(demo.ExitCode == 0, text);
        Assert.Contains("PASS: 40,000 requests, 0 failed, 0 non-2xx", text);
        var svg = await File.ReadAllTextAsync(chart);
        Assert.Contains("<svg", svg);
        // The bars are ab's own rate (ab -g), not the sampler's: the legend says so.
        Assert.Contains("ab requests per second", svg);
        Assert.Contains("longest request", text);
        var leftovers = await Cli.ShAsync("ls /dev/shm | grep '^gue-demo' || true; mount | grep '/dev/shm/gue-demo' || true", TimeSpan.FromSeconds(30));
        Assert.Equal("", leftovers.Output.Trim());
    }
}
