using GracefulUpgrade.TestSupport;
using Xunit.Abstractions;

namespace GracefulUpgrade.EndToEndTests;

/// <summary>
/// What a Debian administrator does around the package, in a real systemd: mask, policy-rc.d,
/// an image build without a running systemd, dpkg-statoverride, disabling or stopping an
/// instance, a service user made beforehand, a privileged port. The rules the postinst follows
/// are in docs/operations.md ("Enabled, disabled, stopped").
/// </summary>
[Collection(PackagesCollection.Name)]
public sealed class AdminPathTests(Packages packages, ITestOutputHelper output) : IClassFixture<MigrateReqFixture>
{
    private static readonly string V1 = Artifacts.V1, V2 = Artifacts.V2;
    private const string Template = SystemdBox.Unit + "@.service";

    [Theory]
    [InlineData(Template)]
    [InlineData(SystemdBox.Unit + "@2.0.0.service")]
    public async Task MaskedTemplateOrInstanceMakesTheUpgradeStartStopAndEnableNothing(string masked)
    {
        await using var box = await SystemdBox.StartAsync(masked == Template ? "mask-tmpl" : "mask-inst");
        (await box.DpkgInstallAsync(packages[V1])).EnsureSuccess("install v1");
        (await box.ExecAsync("systemctl", "mask", masked)).EnsureSuccess($"mask {masked}");

        var dpkg = Log(await box.DpkgInstallAsync(packages[V2]));

        Assert.Equal(0, dpkg.ExitCode);
        Assert.Single(Lines(dpkg, $"{SystemdBox.Instance(V2)} is masked: nothing was started, stopped or enabled"));
        Assert.Equal("active", await box.SystemctlAsync("is-active", V1));
        Assert.Equal("inactive", await box.SystemctlAsync("is-active", V2));
        Assert.Equal([SystemdBox.Instance(V1)], await box.EnabledInstancesAsync());
        Assert.Equal([SystemdBox.Instance(V1)], await box.ActiveInstancesAsync());
    }

    [Fact]
    public async Task PolicyRcDThatForbidsStartsLeavesTheRunningInstanceAloneAndSaysWhy()
    {
        await using var box = await SystemdBox.StartAsync("policy");
        (await box.DpkgInstallAsync(packages[V1])).EnsureSuccess("install v1");
        // What Docker images and debootstrap do: every start and stop is forbidden (101).
        (await box.ShAsync("printf '#!/bin/sh\\nexit 101\\n' > /usr/sbin/policy-rc.d && chmod 0755 /usr/sbin/policy-rc.d"))
            .EnsureSuccess("write policy-rc.d");
        var v1Pid = await box.PropertyAsync(V1, "MainPID");

        var dpkg = Log(await box.DpkgInstallAsync(packages[V2]));

        Assert.Equal(0, dpkg.ExitCode);
        Assert.Single(Lines(dpkg, $"policy-rc.d forbids starting {SystemdBox.Instance(V2)}: nothing was started or stopped"));
        Assert.Equal([SystemdBox.Instance(V1)], await box.ActiveInstancesAsync());
        Assert.Equal(v1Pid, await box.PropertyAsync(V1, "MainPID"));
        Assert.Equal("inactive", await box.SystemctlAsync("is-active", V2));
        // The enablement moves like a chroot's does: the next boot runs the installed version.
        Assert.Equal([SystemdBox.Instance(V2)], await box.EnabledInstancesAsync());
    }

    [Fact]
    public async Task WithoutARunningSystemdAnInstallOnlySetsUpTheNextBoot()
    {
        await using var box = await SystemdBox.CreateOfflineAsync("offline");
        var v1 = await box.CopyInAsync(packages[V1]);
        var v2 = await box.CopyInAsync(packages[V2]);

        var install = Log(await box.OfflineAsync("dpkg", "-i", v1));
        var upgrade = Log(await box.OfflineAsync("dpkg", "-i", v2));

        Assert.Equal(0, install.ExitCode);
        Assert.Single(Lines(install, $"systemd is not running: nothing was started or stopped; {SystemdBox.Instance(V1)} is enabled for boot"));
        Assert.Equal(0, upgrade.ExitCode);
        Assert.Single(Lines(upgrade, $"systemd is not running: nothing was started or stopped; {SystemdBox.Instance(V2)} is enabled for boot"));
        var links = await box.OfflineAsync("sh", "-c", $"ls /etc/systemd/system/multi-user.target.wants/ | grep '^{SystemdBox.Unit}@' || true");
        Assert.Equal(SystemdBox.Instance(V2), links.Output.Trim());
        // Nothing ran: no process of the service, nothing on its port.
        Assert.Equal("", (await Cli.ShAsync($"ss -Hltn 'sport = :{SystemdBox.Port}'", TimeSpan.FromSeconds(10))).Output.Trim());

        await box.BootAsync();
        await box.ExecAsync("systemctl", "is-system-running", "--wait");

        await BoxAssert.OnlyInstanceAsync(box, V2);
        using var client = new HttpClient();
        using var response = await client.GetAsync($"http://127.0.0.1:{SystemdBox.Port}/");
        Assert.Equal(V2, Assert.Single(response.Headers.GetValues("X-App-Version")));
    }

    [Fact]
    public async Task StatOverrideOnTheConffileIsKeptAcrossAnUpgrade()
    {
        await using var box = await SystemdBox.StartAsync("statoverride");
        (await box.DpkgInstallAsync(packages[V1])).EnsureSuccess("install v1");
        // The admin's choice: world-readable, owned by root's group instead of the service's.
        (await box.ExecAsync("dpkg-statoverride", "--update", "--add", "root", "root", "0644", BoxConfig.Conffile))
            .EnsureSuccess("dpkg-statoverride");

        (await box.DpkgInstallAsync(packages[V2])).EnsureSuccess("upgrade to v2");

        Assert.Equal("644 root root", (await box.ExecAsync("stat", "-c", "%a %U %G", BoxConfig.Conffile)).Output.Trim());
        Assert.Contains(BoxConfig.Conffile, (await box.ExecAsync("dpkg-statoverride", "--list", BoxConfig.Conffile)).Output);
        await BoxAssert.OnlyInstanceAsync(box, V2);
    }

    [Fact]
    public async Task DisabledAndStoppedStaysSoAcrossUpgradeConfigureReinstallAndDowngrade()
    {
        await using var box = await SystemdBox.StartAsync("disabled");
        (await box.DpkgInstallAsync(packages[V1])).EnsureSuccess("install v1");
        (await box.ExecAsync("systemctl", "disable", "--now", SystemdBox.Instance(V1))).EnsureSuccess("disable --now v1");

        // An upgrade in two steps, as after an interruption: unpack, then dpkg --configure -a.
        (await box.ExecAsync("dpkg", "--unpack", await box.CopyInAsync(packages[V2]))).EnsureSuccess("unpack v2");
        var configure = Log(await box.ExecAsync("dpkg", "--configure", "-a"));
        var reinstall = Log(await box.DpkgInstallAsync(packages[V2]));

        foreach (var dpkg in new[] { configure, reinstall })
        {
            Assert.Equal(0, dpkg.ExitCode);
            Assert.Single(Lines(dpkg, $"{SystemdBox.Instance(V2)} is installed but neither enabled nor started"));
        }
        Assert.Empty(await box.ActiveInstancesAsync());
        Assert.Empty(await box.EnabledInstancesAsync());
        Assert.Equal("", (await box.ExecAsync("ss", "-Hltn", $"sport = :{SystemdBox.Port}")).Output.Trim());

        var downgrade = Log(await box.DpkgInstallAsync(packages[V1]));
        Assert.Equal(0, downgrade.ExitCode);
        Assert.Single(Lines(downgrade, $"{SystemdBox.Instance(V1)} is installed but neither enabled nor started"));
        Assert.Empty(await box.ActiveInstancesAsync());
        Assert.Empty(await box.EnabledInstancesAsync());

        // The admin's way back, as the line says.
        (await box.ExecAsync("systemctl", "enable", "--now", SystemdBox.Instance(V1))).EnsureSuccess("enable --now v1");
        await BoxAssert.OnlyInstanceAsync(box, V1);
    }

    [Fact]
    public async Task DisabledButRunningIsHandedOverAndStaysDisabled()
    {
        await using var box = await SystemdBox.StartAsync("disrun");
        (await box.DpkgInstallAsync(packages[V1])).EnsureSuccess("install v1");
        (await box.ExecAsync("systemctl", "disable", SystemdBox.Instance(V1))).EnsureSuccess("disable v1, leave it running");

        var dpkg = Log(await box.DpkgInstallAsync(packages[V2]));

        Assert.Equal(0, dpkg.ExitCode);
        Assert.Single(Lines(dpkg, $"{SystemdBox.Instance(V2)} is serving, not enabled (none was) for boot"));
        Assert.Equal([SystemdBox.Instance(V2)], await box.ActiveInstancesAsync());
        Assert.Empty(await box.EnabledInstancesAsync());
        Assert.Equal("disabled", await box.PropertyAsync(V2, "UnitFileState"));
    }

    [Fact]
    public async Task EnabledButStoppedIsStartedByTheUpgradeAsDebianRestartsIt()
    {
        await using var box = await SystemdBox.StartAsync("enstop");
        (await box.DpkgInstallAsync(packages[V1])).EnsureSuccess("install v1");
        (await box.ExecAsync("systemctl", "stop", SystemdBox.Instance(V1))).EnsureSuccess("stop v1, leave it enabled");

        var dpkg = Log(await box.DpkgInstallAsync(packages[V2]));

        Assert.Equal(0, dpkg.ExitCode);
        Assert.Single(Lines(dpkg, $"{SystemdBox.Instance(V2)} is serving, enabled for boot"));
        await BoxAssert.OnlyInstanceAsync(box, V2);
    }

    [Fact]
    public async Task RemoveKeepsTheEnablementForTheNextInstallAndPurgeDropsIt()
    {
        await using var box = await SystemdBox.StartAsync("reinst");
        (await box.DpkgInstallAsync(packages[V1])).EnsureSuccess("install v1");

        (await box.ExecAsync("dpkg", "-r", SystemdBox.Unit)).EnsureSuccess("dpkg -r");
        Assert.Empty(await box.ActiveInstancesAsync());
        (await box.DpkgInstallAsync(packages[V2])).EnsureSuccess("install v2 after the removal");
        await BoxAssert.OnlyInstanceAsync(box, V2);

        (await box.ExecAsync("systemctl", "disable", "--now", SystemdBox.Instance(V2))).EnsureSuccess("disable --now v2");
        (await box.ExecAsync("dpkg", "-r", SystemdBox.Unit)).EnsureSuccess("dpkg -r");
        var again = Log(await box.DpkgInstallAsync(packages[V2]));
        Assert.Single(Lines(again, "is installed but neither enabled nor started"));
        Assert.Empty(await box.ActiveInstancesAsync());

        (await box.ExecAsync("dpkg", "-P", SystemdBox.Unit)).EnsureSuccess("dpkg -P");
        var fresh = Log(await box.DpkgInstallAsync(packages[V1]));
        Assert.Equal(0, fresh.ExitCode);
        await BoxAssert.OnlyInstanceAsync(box, V1);
    }

    [Fact]
    public async Task ServiceUserTheAdminCreatedBeforehandIsReused()
    {
        await using var box = await SystemdBox.StartAsync("user");
        (await box.ShAsync(
            $"addgroup --system --quiet {SystemdBox.Unit} && " +
            $"adduser --system --quiet --ingroup {SystemdBox.Unit} --home /var/lib/admins-choice --no-create-home " +
            $"--shell /usr/sbin/nologin --gecos 'made by the admin' {SystemdBox.Unit}")).EnsureSuccess("admin creates the user");
        var before = (await box.ExecAsync("getent", "passwd", SystemdBox.Unit)).Output.Trim();
        var group = (await box.ExecAsync("getent", "group", SystemdBox.Unit)).Output.Trim();

        (await box.DpkgInstallAsync(packages[V1])).EnsureSuccess("install v1");
        (await box.DpkgInstallAsync(packages[V2])).EnsureSuccess("upgrade to v2");

        Assert.Equal(before, (await box.ExecAsync("getent", "passwd", SystemdBox.Unit)).Output.Trim());
        Assert.Equal(group, (await box.ExecAsync("getent", "group", SystemdBox.Unit)).Output.Trim());
        var uid = before.Split(':')[2];
        var pid = await box.PropertyAsync(V2, "MainPID");
        Assert.Equal(uid, (await box.ShAsync($"ps -o uid= -p {pid}")).Output.Trim());
        await BoxAssert.OnlyInstanceAsync(box, V2);
    }

    [Fact]
    public async Task UpgradeOnPort80UnderAbLosesNoRequest()
    {
        const int port = 80;
        await using var box = await SystemdBox.StartAsync("port80");
        // The admin writes the conffile before the first install and keeps it (--force-confold,
        // as a configuration-management tool would).
        var shipped = await box.CopyInAsync(Path.Combine(Repo.Root, "ops", "package", "config.json"));
        (await box.ShAsync($"mkdir -p /etc/{SystemdBox.Unit} && sed 's/\"Listen\": \"0.0.0.0:8080\"/\"Listen\": \"0.0.0.0:{port}\"/' {shipped} > {BoxConfig.Conffile} && grep -q '0.0.0.0:{port}\"' {BoxConfig.Conffile}"))
            .EnsureSuccess("write the conffile with port 80");
        var deb = await box.CopyInAsync(packages[V1]);
        Log(await box.ExecAsync("dpkg", "--force-confold", "-i", deb)).EnsureSuccess("install v1 on port 80");

        var outcome = await LoadScenario.UnderAbOnPortAsync(port, output, () => box.DpkgInstallAsync(packages[V2]));

        Assert.Equal(0, outcome.Steps[0].ExitCode);
        LoadScenario.AssertNothingLost(outcome);
        Assert.Contains(V1, outcome.Versions.Keys);
        Assert.Contains(V2, outcome.Versions.Keys);
        await BoxAssert.OnlyInstanceAsync(box, V2);
        Assert.Contains($"0.0.0.0:{port}", (await box.ShAsync($"ss -Hltn 'sport = :{port}'")).Output);
    }

    private CliResult Log(CliResult dpkg)
    {
        output.WriteLine($"exit {dpkg.ExitCode}\n{dpkg.Output}{dpkg.Error}");
        return dpkg;
    }

    /// <summary>The lines of a command's output that contain a text.</summary>
    private static IEnumerable<string> Lines(CliResult result, string text) =>
        (result.Output + result.Error).Split('\n').Where(line => line.Contains(text, StringComparison.Ordinal));
}
