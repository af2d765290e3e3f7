using System.Diagnostics;
using GracefulUpgrade.TestSupport;
using Xunit.Abstractions;

namespace GracefulUpgrade.EndToEndTests;

/// <summary>
/// The bad days, each with load running across it: a new version that cannot become ready,
/// an interrupted upgrade, upgrades back to back, long requests, an old instance killed
/// mid-drain. Every scenario asserts what the clients saw and what systemd and dpkg say after.
/// </summary>
[Collection(PackagesCollection.Name)]
public sealed class FailureScenarioTests(Packages packages, ITestOutputHelper output) : IClassFixture<MigrateReqFixture>
{
    private static readonly string V1 = Artifacts.V1, V2 = Artifacts.V2, Faulty = Artifacts.Faulty;
    private static readonly TimeSpan ReadDeadline = TimeSpan.FromSeconds(10), ResponseDeadline = TimeSpan.FromSeconds(60);

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

        await AssertFailedUpgradeLeftTheOldOneServingAsync(box, outcome, failed: Faulty, serving: V1);
        Assert.NotEqual("enabled", await box.SystemctlAsync("is-enabled", Faulty));

        // A good version afterwards completes a normal handover, from the half-configured state;
        // the faulty instance, failed since its start, was never serving and is not reported.
        var good = (await box.DpkgInstallAsync(packages[V2])).EnsureSuccess("install v2 after the failure");
        Assert.DoesNotContain("did not drain cleanly", good.Error);
        await BoxAssert.OnlyInstanceAsync(box, V2);
    }

    [Fact]
    public async Task InvalidConffileValueFailsTheUpgradeNamingTheSettingAndConfigureFinishesAfterTheFix()
    {
        await using var box = await SystemdBox.StartAsync("badconf");
        (await box.DpkgInstallAsync(packages[V1])).EnsureSuccess("install v1");
        await BoxConfig.SetAsync(box, "Backlog", "1");

        var outcome = await LoadScenario.UnderAbAsync(output, () => box.DpkgInstallAsync(packages[V2]));

        await AssertFailedUpgradeLeftTheOldOneServingAsync(box, outcome, failed: V2, serving: V1);
        // Refused at start for its configuration (EX_CONFIG), before logging exists: the exit
        // status says so, and the one line it wrote names the setting, which is what the operator reads.
        Assert.Equal("78", await box.PropertyAsync(V2, "ExecMainStatus"));
        Assert.Contains("Backlog", await box.JournalAsync(V2));

        await BoxConfig.SetAsync(box, "Backlog", "4096");
        (await box.ExecAsync("dpkg", "--configure", "-a")).EnsureSuccess("dpkg --configure -a");
        await BoxAssert.OnlyInstanceAsync(box, V2);
    }

    [Fact]
    public async Task UpgradeKilledDuringThePostinstIsFinishedByConfigureAll()
    {
        await using var box = await SystemdBox.StartAsync("killed");
        (await box.DpkgInstallAsync(packages[V1])).EnsureSuccess("install v1");
        var deb = await box.CopyInAsync(packages[V2]);

        var outcome = await LoadScenario.UnderAbAsync(output, async () =>
        {
            // dpkg in its own process group, so SIGKILL takes it and its postinst at once; started
            // from a subshell that exits at once, so the box's init reaps it and a kill after dpkg
            // has ended fails instead of hitting a zombie. The watch runs inside the box: from
            // "v2 active" the postinst has only the old instance's drain and a daemon-reload left,
            // a few hundred ms at most since the drain ends exactly, which a poll from the host
            // could miss (seen once: dpkg had finished before the kill).
            var script = string.Join("; ",
                "rm -f /srv/dpkg.pgid",
                $"( setsid sh -c 'echo $$ >/srv/dpkg.pgid; exec dpkg -i {deb} >/srv/dpkg.log 2>&1 </dev/null' & )",
                "until [ -s /srv/dpkg.pgid ]; do :; done",
                "pgid=$(cat /srv/dpkg.pgid)",
                $"until [ \"$(systemctl is-active {SystemdBox.Instance(V2)})\" = active ]; do kill -0 \"$pgid\" 2>/dev/null || {{ echo \"dpkg ended before v2 was active\"; exit 1; }}; done",
                "/bin/kill -KILL -- \"-$pgid\" && echo \"killed dpkg group $pgid\"");
            return await box.ExecAsync("timeout", "60", "/bin/sh", "-c", script);
        }, () => box.ExecAsync("dpkg", "--configure", "-a"));

        Assert.Equal(0, outcome.Steps[0].ExitCode);
        Assert.Equal(0, outcome.Steps[1].ExitCode);
        LoadScenario.AssertNothingLost(outcome);
        await BoxAssert.OnlyInstanceAsync(box, V2);
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
        await BoxAssert.OnlyInstanceAsync(box, Artifacts.V5);
    }

    [Fact]
    public async Task LongRequestFinishesOnTheOldVersionAndOneLongerThanTheDeadlineEndsBounded()
    {
        await using var box = await SystemdBox.StartAsync("long");
        (await box.DpkgInstallAsync(packages[V1])).EnsureSuccess("install v1");
        await BoxConfig.SetAsync(box, "Enabled", "true");
        await BoxConfig.SetAsync(box, "ShutdownTimeoutSeconds", "8");
        (await box.ExecAsync("systemctl", "restart", SystemdBox.Instance(V1))).EnsureSuccess("restart v1 with the delay endpoint");
        HeldResponse? five = null, thirty = null;
        var thirtyTime = new Stopwatch();

        var outcome = await LoadScenario.UnderAbAsync(output, async () =>
        {
            using var fiveSeconds = await HeldRequest.SendAsync(SystemdBox.Port, "/delay?ms=5000");
            using var thirtySeconds = await HeldRequest.SendAsync(SystemdBox.Port, "/delay?ms=30000");
            thirtyTime.Start();
            // Only v1 runs yet: once it has read both requests, they are in flight on v1.
            await fiveSeconds.WaitUntilReadByServerAsync(ReadDeadline);
            await thirtySeconds.WaitUntilReadByServerAsync(ReadDeadline);
            var dpkg = await box.DpkgInstallAsync(packages[V2]);
            five = await fiveSeconds.ResponseAsync(ResponseDeadline);
            thirty = await thirtySeconds.ResponseAsync(ResponseDeadline);
            thirtyTime.Stop();
            return dpkg;
        });

        Assert.Equal(0, outcome.Steps[0].ExitCode);
        LoadScenario.AssertNothingLost(outcome);
        Assert.Equal(new HeldResponse(200, V1), five);
        Assert.Null(thirty); // ended without a response by v1's shutdown deadline
        Assert.True(thirtyTime.Elapsed < TimeSpan.FromSeconds(20), $"the 30 s request ended after {thirtyTime.Elapsed}");
        var events = await box.EventsAsync(V1);
        Assert.Contains(ServiceEvent.DrainWindowEnded, events);
        Assert.Contains(ServiceEvent.ShutdownDeadlineReached, events);
        // The service ended the request itself, at its deadline: systemd never had to kill it.
        await BoxAssert.StoppedCleanlyAsync(box, V1);
    }

    [Fact]
    public async Task OldInstanceKilledMidDrainLosesOnlyItsOwnRequestsAndTheNewOneKeepsServing()
    {
        await using var box = await SystemdBox.StartAsync("middrain");
        (await box.DpkgInstallAsync(packages[V1])).EnsureSuccess("install v1");
        await BoxConfig.SetAsync(box, "Enabled", "true");
        (await box.ExecAsync("systemctl", "restart", SystemdBox.Instance(V1))).EnsureSuccess("restart v1 with the delay endpoint");
        HeldResponse? held = null;
        CliResult? killed = null;

        var outcome = await LoadScenario.UnderAbAsync(output, async () =>
        {
            // A request in flight on v1 keeps it draining for 15 s: long enough to kill it
            // mid-drain, and a request that is certainly lost with it.
            using var request = await HeldRequest.SendAsync(SystemdBox.Port, "/delay?ms=15000");
            await request.WaitUntilReadByServerAsync(ReadDeadline);
            var dpkg = box.DpkgInstallAsync(packages[V2]);
            // The postinst stops v1 only after v2 is ready: "deactivating" is v1 draining. The
            // watch runs inside the box, so the kill lands within milliseconds of the drain's start,
            // while v1 still has ab's requests in flight: the worst moment for it.
            var instance = SystemdBox.Instance(V1);
            killed = await box.ShAsync(
                $"timeout 60 sh -c 'until [ \"$(systemctl show --property=ActiveState --value {instance})\" = deactivating ]; do :; done' " +
                $"&& systemctl kill --signal=KILL {instance} && echo killed while deactivating");
            held = await request.ResponseAsync(ResponseDeadline);
            return await dpkg;
        });

        output.WriteLine($"v1 SIGKILLed mid-drain: {outcome.Load.RequestsCutOff} of ab's {outcome.Load.Completed} requests cut off (ab's failure count {outcome.Load.Failed}); " +
            $"the 15 s request held on v1 was {(held is null ? "lost" : $"answered {held}")}; " +
            $"sampler errors: {outcome.SamplerErrors.Count}");
        // When the drain began and when the kill came, from v1's journal.
        foreach (var entry in (await box.JournalEntriesAsync(V1)).Where(e => e.Event == ServiceEvent.ListenerClosed || e.FromSystemd))
        {
            output.WriteLine($"{DateTimeOffset.FromUnixTimeMilliseconds(entry.RealtimeMicroseconds / 1000):HH:mm:ss.fff} {entry.Message}");
        }
        Assert.NotNull(killed);
        Assert.Equal("killed while deactivating", killed.EnsureSuccess("SIGKILL v1 while it drains").Output.Trim());
        var dpkgResult = outcome.Steps[0];
        Assert.Equal(0, dpkgResult.ExitCode);
        Assert.Contains($"{SystemdBox.Instance(V1)} did not drain cleanly (result: signal)", dpkgResult.Error);
        Assert.Null(held);
        // Lost at most what ab had in flight (-c 1000), each counted at most 3 times by ab;
        // nothing answered wrongly.
        Assert.InRange(outcome.Load.RequestsCutOff, 0, 1000);
        Assert.InRange(outcome.Load.Failed, 0, 3 * 1000);
        Assert.Equal(0, outcome.Load.Non2xx);
        await BoxAssert.OnlyInstanceAsync(box, V2);
        Assert.Equal("failed", await box.SystemctlAsync("is-active", V1));

        // After the kill, v2 serves everything: a second load sees no error.
        await using var after = LoadGenerator.StartAb(SystemdBox.Port, concurrency: 100, requests: 20_000);
        var afterResult = await after.WaitForResultAsync(LoadScenario.LoadDeadline);
        output.WriteLine("after the kill: " + afterResult);
        Assert.Equal(20_000, afterResult.Completed);
        Assert.Equal(0, afterResult.Failed);
        Assert.Equal(0, afterResult.Non2xx);
    }

    /// <summary>
    /// dpkg failed and its postinst said why; no client saw a failure; the old version still
    /// runs and is still enabled.
    /// </summary>
    private static async Task AssertFailedUpgradeLeftTheOldOneServingAsync(SystemdBox box, LoadScenario.Outcome outcome,
        string failed, string serving)
    {
        var dpkg = outcome.Steps[0];
        Assert.NotEqual(0, dpkg.ExitCode);
        var text = dpkg.Output + dpkg.Error;
        Assert.Contains(SystemdBox.Instance(failed), text);
        Assert.Contains("keep", text); // "... keeps serving" / "keep serving"
        Assert.Contains(serving, text);
        Assert.Contains("Loaded:", text); // systemctl status of the failing instance
        LoadScenario.AssertNothingLost(outcome);
        Assert.Equal("active", await box.SystemctlAsync("is-active", serving));
        Assert.Equal("enabled", await box.SystemctlAsync("is-enabled", serving));
    }
}
