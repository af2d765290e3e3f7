using GracefulUpgrade.TestSupport;
using Xunit.Abstractions;

namespace GracefulUpgrade.EndToEndTests;

/// <summary>
/// The .deb in a real systemd: install, upgrade under load, downgrade, reinstall, reboot,
/// conffile edits, remove and purge. Each scenario boots its own throwaway box.
/// </summary>
[Collection(PackagesCollection.Name)]
public sealed class PackageLifecycleTests(Packages packages, ITestOutputHelper output) : IClassFixture<MigrateReqFixture>
{
    private static readonly string V1 = Artifacts.V1, V2 = Artifacts.V2;

    [Fact]
    public async Task FreshInstallStartsAndEnablesTheVersionInstance()
    {
        await using var box = await SystemdBox.StartAsync("install");

        var dpkg = await box.DpkgInstallAsync(packages[V1]);

        Assert.True(dpkg.ExitCode == 0, dpkg.Output + dpkg.Error);
        Assert.Equal("active", await box.SystemctlAsync("is-active", V1));
        Assert.Equal("enabled", await box.SystemctlAsync("is-enabled", V1));
        using var client = new HttpClient();
        using var response = await client.GetAsync($"http://127.0.0.1:{SystemdBox.Port}/");
        Assert.Equal(V1, Assert.Single(response.Headers.GetValues("X-App-Version")));
        var events = await box.EventsAsync(V1);
        Assert.Contains(ServiceEvent.Listening, events);
        Assert.Contains(ServiceEvent.SelfCheckPassed, events);
        var user = await box.ShAsync($"ps -o user:40= -p $(systemctl show -p MainPID --value {SystemdBox.Instance(V1)})");
        Assert.Equal(SystemdBox.Unit, user.Output.Trim());
    }

    [Fact]
    public async Task UpgradeUnderAbLoadLosesNoRequestAndLeavesOnlyTheNewInstance()
    {
        await using var box = await SystemdBox.StartAsync("upgrade");
        (await box.DpkgInstallAsync(packages[V1])).EnsureSuccess("install v1");

        var outcome = await LoadScenario.UnderAbAsync(output, () => box.DpkgInstallAsync(packages[V2]));

        Assert.Equal(0, outcome.Steps[0].ExitCode);
        Assert.DoesNotContain("did not drain cleanly", outcome.Steps[0].Error);
        LoadScenario.AssertNothingLost(outcome);
        Assert.Contains(V1, outcome.Versions.Keys);
        Assert.Contains(V2, outcome.Versions.Keys);
        await BoxAssert.OnlyInstanceAsync(box, V2);
        Assert.Equal("inactive", await box.SystemctlAsync("is-active", V1));
        Assert.Equal("disabled", await box.SystemctlAsync("is-enabled", V1));
        // What "systemctl status" shows comes from the manager, not from the links on disk.
        Assert.Equal("disabled", await box.PropertyAsync(V1, "UnitFileState"));
        Assert.Equal("enabled", await box.PropertyAsync(V2, "UnitFileState"));
        Assert.Contains(ServiceEvent.ListenerClosed, await box.EventsAsync(V1));
        // systemd never had to kill it: its stop ended with the unit's success, not a signal.
        await BoxAssert.StoppedCleanlyAsync(box, V1);
        // No sleep in the handover: the maintainer scripts wait on systemd, never on a clock.
        var sleeps = await box.ShAsync("grep -nwE 'sleep|usleep' /var/lib/dpkg/info/graceful-upgrade-example.* || true");
        Assert.Equal("", sleeps.Output.Trim());
    }

    [Fact]
    public async Task UpgradeUnderWrkKeepAliveLoadHasNoSocketError()
    {
        await using var box = await SystemdBox.StartAsync("keepalive");
        (await box.DpkgInstallAsync(packages[V1])).EnsureSuccess("install v1");

        var outcome = await LoadScenario.UnderWrkAsync(output, () => box.DpkgInstallAsync(packages[V2]));

        Assert.Equal(0, outcome.Steps[0].ExitCode);
        LoadScenario.AssertNothingLost(outcome);
        Assert.Equal([SystemdBox.Instance(V2)], await box.ActiveInstancesAsync());
    }

    [Fact]
    public async Task ReinstallAndDowngradeUnderLoadLoseNoRequest()
    {
        await using var box = await SystemdBox.StartAsync("downgrade");
        (await box.DpkgInstallAsync(packages[V2])).EnsureSuccess("install v2");

        var outcome = await LoadScenario.UnderAbAsync(output,
            () => box.DpkgInstallAsync(packages[V2]),
            () => box.DpkgInstallAsync(packages[V1]));

        Assert.All(outcome.Steps, step => Assert.Equal(0, step.ExitCode));
        LoadScenario.AssertNothingLost(outcome);
        await BoxAssert.OnlyInstanceAsync(box, V1);
    }

    [Fact]
    public async Task AptInstallOfALocalFileUpgradesLikeDpkg()
    {
        await using var box = await SystemdBox.StartAsync("apt");
        (await box.DpkgInstallAsync(packages[V1])).EnsureSuccess("install v1");
        var deb = await box.CopyInAsync(packages[V2]);

        var outcome = await LoadScenario.UnderAbAsync(output,
            () => box.ExecAsync("env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", deb));

        Assert.Equal(0, outcome.Steps[0].ExitCode);
        LoadScenario.AssertNothingLost(outcome);
        Assert.Equal([SystemdBox.Instance(V2)], await box.ActiveInstancesAsync());
    }

    [Fact]
    public async Task InstalledVersionServesAgainAfterReboot()
    {
        await using var box = await SystemdBox.StartAsync("reboot");
        (await box.DpkgInstallAsync(packages[V1])).EnsureSuccess("install v1");
        (await box.DpkgInstallAsync(packages[V2])).EnsureSuccess("upgrade to v2");

        await box.RebootAsync();
        await box.ExecAsync("systemctl", "is-system-running", "--wait");

        Assert.Equal("active", await box.SystemctlAsync("is-active", V2));
        Assert.Equal([SystemdBox.Instance(V2)], await box.ActiveInstancesAsync());
        using var client = new HttpClient();
        using var response = await client.GetAsync($"http://127.0.0.1:{SystemdBox.Port}/");
        Assert.Equal(V2, Assert.Single(response.Headers.GetValues("X-App-Version")));
    }

    [Fact]
    public async Task ConffileEditSurvivesAnUpgrade()
    {
        await using var box = await SystemdBox.StartAsync("conffile");
        (await box.DpkgInstallAsync(packages[V1])).EnsureSuccess("install v1");
        (await box.ShAsync("sed -i 's/\"Backlog\": *4096/\"Backlog\": 2048/' /etc/graceful-upgrade-example/config.json")).EnsureSuccess("edit");

        (await box.DpkgInstallAsync(packages[V2])).EnsureSuccess("upgrade to v2");

        Assert.Contains("\"Backlog\": 2048", (await box.ExecAsync("cat", "/etc/graceful-upgrade-example/config.json")).Output);
        // A listening socket's Send-Q is its backlog (ss -l).
        var listener = (await box.ExecAsync("ss", "-Hltn", $"sport = :{SystemdBox.Port}")).Output;
        Assert.Equal("2048", listener.Split(' ', StringSplitOptions.RemoveEmptyEntries)[2]);
    }

    [Fact]
    public async Task RemoveStopsEverythingAndPurgeLeavesNothing()
    {
        await using var box = await SystemdBox.StartAsync("purge");
        (await box.DpkgInstallAsync(packages[V1])).EnsureSuccess("install v1");
        (await box.DpkgInstallAsync(packages[V2])).EnsureSuccess("upgrade to v2");

        (await box.ExecAsync("dpkg", "-r", SystemdBox.Unit)).EnsureSuccess("dpkg -r");
        Assert.Empty(await box.ActiveInstancesAsync());
        // Enablement stays until purge, as with Debian's deb-systemd-helper (AdminPathTests).
        Assert.Equal([SystemdBox.Instance(V2)], await box.EnabledInstancesAsync());
        Assert.Equal("", (await box.ExecAsync("ss", "-Hltn", $"sport = :{SystemdBox.Port}")).Output.Trim());

        (await box.ExecAsync("dpkg", "-P", SystemdBox.Unit)).EnsureSuccess("dpkg -P");
        Assert.Empty(await box.EnabledInstancesAsync());
        Assert.NotEqual(0, (await box.ExecAsync("test", "-e", "/etc/graceful-upgrade-example")).ExitCode);
        Assert.NotEqual(0, (await box.ExecAsync("getent", "passwd", SystemdBox.Unit)).ExitCode);
        Assert.NotEqual(0, (await box.ExecAsync("getent", "group", SystemdBox.Unit)).ExitCode);
        Assert.Equal("", (await box.ShAsync("ls -d /var/lib/graceful-upgrade-example /usr/lib/graceful-upgrade-example 2>/dev/null || true")).Output.Trim());
    }
}

/// <summary>net.ipv4.tcp_migrate_req=1 on the host (the box cannot set it) for the whole class.</summary>
public sealed class MigrateReqFixture : IDisposable
{
    private readonly MigrateReqSysctl _sysctl = new();

    public void Dispose() => _sysctl.Dispose();
}
