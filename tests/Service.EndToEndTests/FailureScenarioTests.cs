using System.Diagnostics;
using GracefulUpgrade.TestSupport;
using Xunit.Abstractions;

namespace GracefulUpgrade.EndToEndTests;

/// <summary>
/// The bad days, each with load running across it: a new version that cannot become ready,
/// an interrupted upgrade, upgrades back to back, long requests. Every scenario asserts what
/// the clients saw and what systemd and dpkg say after. (An old instance killed mid-drain is
/// not covered yet.)
/// </summary>
[Collection(PackagesCollection.Name)]
public sealed class FailureScenarioTests(Packages packages, ITestOutputHelper output) : IClassFixture<MigrateReqFixture>
{
    private static readonly string V1 = Artifacts.V1, V2 = Artifacts.V2, Faulty = Artifacts.Faulty;

    [Theory]
    [InlineData("exit")]
    [InlineData("selfcheck")]
    [InlineData("hang")]
    public async Task NewVersionThatCannotBecomeReadyLeavesTheOldOneServing(string fault)
    {
        await using var box = await SystemdBox.StartAsync($"fault-{fault}");
        (await box.DpkgInstallAsync(packages[V1])).EnsureSuccess("install v1");
        // "hang" must outlast TimeoutStartSec; a short one keeps the test short.
        await BoxConfig.AddFaultDropInAsync(box, Faulty, fault, fault == "hang" ? "TimeoutStartSec=5s\\n" : "");

        var outcome = await LoadScenario.UnderAbAsync(output, () => box.DpkgInstallAsync(packages[Faulty]));

        var dpkg = outcome.Steps[0];
        Assert.NotEqual(0, dpkg.ExitCode);
        AssertPostinstExplained(dpkg, Faulty, V1);
        LoadScenario.AssertNothingLost(outcome);
        Assert.Equal("active", await box.SystemctlAsync("is-active", V1));
        Assert.Equal("enabled", await box.SystemctlAsync("is-enabled", V1));
        Assert.NotEqual("enabled", await box.SystemctlAsync("is-enabled", Faulty));

        // A good version afterwards completes a normal handover, from the half-configured state.
        (await box.DpkgInstallAsync(packages[V2])).EnsureSuccess("install v2 after the failure");
        Assert.Equal([SystemdBox.Instance(V2)], await box.ActiveInstancesAsync());
        Assert.Equal([SystemdBox.Instance(V2)], await box.EnabledInstancesAsync());
    }

    [Fact]
    public async Task InvalidConffileValueFailsTheUpgradeNamingTheSettingAndConfigureFinishesAfterTheFix()
    {
        await using var box = await SystemdBox.StartAsync("badconf");
        (await box.DpkgInstallAsync(packages[V1])).EnsureSuccess("install v1");
        await BoxConfig.SetAsync(box, "Backlog", "1");

        var outcome = await LoadScenario.UnderAbAsync(output, () => box.DpkgInstallAsync(packages[V2]));

        var dpkg = outcome.Steps[0];
        Assert.NotEqual(0, dpkg.ExitCode);
        AssertPostinstExplained(dpkg, V2, V1);
        LoadScenario.AssertNothingLost(outcome);
        Assert.Contains("Invalid configuration", await box.JournalAsync(V2));
        Assert.Contains("Backlog", await box.JournalAsync(V2));
        Assert.Equal("active", await box.SystemctlAsync("is-active", V1));
        Assert.Equal("enabled", await box.SystemctlAsync("is-enabled", V1));

        await BoxConfig.SetAsync(box, "Backlog", "4096");
        (await box.ExecAsync("dpkg", "--configure", "-a")).EnsureSuccess("dpkg --configure -a");
        Assert.Equal([SystemdBox.Instance(V2)], await box.ActiveInstancesAsync());
        Assert.Equal([SystemdBox.Instance(V2)], await box.EnabledInstancesAsync());
    }

    [Fact]
    public async Task UpgradeKilledDuringThePostinstIsFinishedByConfigureAll()
    {
        await using var box = await SystemdBox.StartAsync("killed");
        (await box.DpkgInstallAsync(packages[V1])).EnsureSuccess("install v1");
        var deb = await box.CopyInAsync(packages[V2]);

        var outcome = await LoadScenario.UnderAbAsync(output, async () =>
        {
            // dpkg in its own process group, so SIGKILL takes it and its postinst at once.
            var pgid = (await box.ShAsync($"setsid dpkg -i {deb} >/srv/dpkg.log 2>&1 < /dev/null & echo $!")).Output.Trim();
            await WaitUntilAsync(async () => await box.SystemctlAsync("is-active", V2) == "active", "v2 active");
            return await box.ShAsync($"/bin/kill -KILL -- -{pgid} && echo killed dpkg group {pgid}");
        }, () => box.ExecAsync("dpkg", "--configure", "-a"));

        Assert.Equal(0, outcome.Steps[0].ExitCode);
        Assert.Equal(0, outcome.Steps[1].ExitCode);
        LoadScenario.AssertNothingLost(outcome);
        Assert.Equal([SystemdBox.Instance(V2)], await box.ActiveInstancesAsync());
        Assert.Equal([SystemdBox.Instance(V2)], await box.EnabledInstancesAsync());
        Assert.Contains("ii  graceful-upgrade-example", (await box.ExecAsync("dpkg", "-l", SystemdBox.Unit)).Output);
    }

    [Fact]
    public async Task FourUpgradesBackToBackInOneRunLoseNoRequest()
    {
        await using var box = await SystemdBox.StartAsync("rapid");
        (await box.DpkgInstallAsync(packages[V1])).EnsureSuccess("install v1");

        var outcome = await LoadScenario.UnderAbAsync(output,
            () => box.DpkgInstallAsync(packages[Artifacts.V2]),
            () => box.DpkgInstallAsync(packages[Artifacts.V3]),
            () => box.DpkgInstallAsync(packages[Artifacts.V4]),
            () => box.DpkgInstallAsync(packages[Artifacts.V5]));

        Assert.All(outcome.Steps, step => Assert.Equal(0, step.ExitCode));
        LoadScenario.AssertNothingLost(outcome);
        Assert.Equal([SystemdBox.Instance(Artifacts.V5)], await box.ActiveInstancesAsync());
        Assert.Equal([SystemdBox.Instance(Artifacts.V5)], await box.EnabledInstancesAsync());
    }

    [Fact]
    public async Task LongRequestFinishesOnTheOldVersionAndOneLongerThanTheDeadlineEndsBounded()
    {
        await using var box = await SystemdBox.StartAsync("long");
        (await box.DpkgInstallAsync(packages[V1])).EnsureSuccess("install v1");
        await BoxConfig.SetAsync(box, "Enabled", "true");
        await BoxConfig.SetAsync(box, "ShutdownTimeoutSeconds", "8");
        (await box.ExecAsync("systemctl", "restart", SystemdBox.Instance(V1))).EnsureSuccess("restart v1 with the delay endpoint");
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        HttpResponseMessage? fiveSeconds = null;
        Exception? tooLong = null;
        var tooLongTime = Stopwatch.StartNew();

        var outcome = await LoadScenario.UnderAbAsync(output, async () =>
        {
            var five = client.GetAsync($"http://127.0.0.1:{SystemdBox.Port}/delay?ms=5000");
            var thirty = client.GetAsync($"http://127.0.0.1:{SystemdBox.Port}/delay?ms=30000");
            await WaitUntilAsync(async () => (await box.ShAsync("ss -Htn state established '( sport = :8080 )' | wc -l")).Output.Trim() != "0", "requests in flight");
            var dpkg = await box.DpkgInstallAsync(packages[V2]);
            fiveSeconds = await five;
            tooLong = await Record(thirty);
            tooLongTime.Stop();
            return dpkg;
        });

        Assert.Equal(0, outcome.Steps[0].ExitCode);
        LoadScenario.AssertNothingLost(outcome);
        Assert.NotNull(fiveSeconds);
        Assert.Equal(200, (int)fiveSeconds.StatusCode);
        Assert.Equal(V1, Assert.Single(fiveSeconds.Headers.GetValues("X-App-Version")));
        Assert.NotNull(tooLong);
        Assert.True(tooLongTime.Elapsed < TimeSpan.FromSeconds(20), $"the 30 s request ended after {tooLongTime.Elapsed}");
        var journal = await box.JournalAsync(V1);
        Assert.Contains("connection(s) open; closing idle ones now", journal);
        Assert.Contains("aborting 1 connection(s) still open", journal);
        Assert.DoesNotContain("Killing", journal, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("SIGKILL", journal);
    }

    private static void AssertPostinstExplained(CliResult dpkg, string failed, string serving)
    {
        var text = dpkg.Output + dpkg.Error;
        Assert.Contains(SystemdBox.Instance(failed), text);
        Assert.Contains("keep", text); // "... keeps serving" / "keep serving"
        Assert.Contains(serving, text);
        Assert.Contains("Loaded:", text); // systemctl status of the failing instance
    }

    private static async Task<Exception?> Record(Task<HttpResponseMessage> request)
    {
        try
        {
            using var response = await request;
            return response.IsSuccessStatusCode ? null : new HttpRequestException($"status {(int)response.StatusCode}");
        }
        catch (Exception ex)
        {
            return ex;
        }
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (!await condition())
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(60))
            {
                throw new TimeoutException($"timed out waiting for {what}");
            }
            await Task.Delay(50);
        }
    }
}
