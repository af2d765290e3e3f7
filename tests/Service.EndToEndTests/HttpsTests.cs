using System.Globalization;
using System.Text.RegularExpressions;
using GracefulUpgrade.TestSupport;
using Xunit.Abstractions;

namespace GracefulUpgrade.EndToEndTests;

/// <summary>
/// HTTPS in a real systemd: the conffile turns on Service:Https before the first install, with
/// a CA and server certificate made here by openssl and installed the way docs/operations.md
/// says (root:graceful-upgrade-example 0640). Then the original experiment over https across
/// an upgrade, a certificate rotation by systemctl reload under load, and an upgrade that
/// cannot start because the certificate setting is bad.
/// </summary>
[Collection(PackagesCollection.Name)]
public sealed partial class HttpsTests(Packages packages, ITestOutputHelper output) : IClassFixture<MigrateReqFixture>, IDisposable
{
    private const int HttpsPort = 8443;
    private const string Directory = "/etc/graceful-upgrade-example";
    private const string CertificateFile = Directory + "/tls.crt", KeyFile = Directory + "/tls.key";
    private static readonly string V1 = Artifacts.V1, V2 = Artifacts.V2;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private readonly string _work = System.IO.Directory.CreateTempSubdirectory("gue-e2e-https-").FullName;

    public void Dispose() => System.IO.Directory.Delete(_work, recursive: true);

    [Fact]
    public async Task AbOverHttpsAcrossAnUpgradeLosesNoRequest()
    {
        await using var box = await StartWithHttpsAsync("https-upgrade", V1);

        var outcome = await LoadScenario.UnderAbHttpsAsync(HttpsPort, output, () => box.DpkgInstallAsync(packages[V2]));

        Assert.Equal(0, outcome.Steps[0].ExitCode);
        LoadScenario.AssertNothingLost(outcome);
        await BoxAssert.OnlyInstanceAsync(box, V2);
        Assert.Contains(ServiceEvent.TlsSelfCheckPassed, await box.EventsAsync(V2));
        // Every ab request is a new connection and a full handshake: its rate is the handshake rate.
        output.WriteLine($"handshakes/s (ab https, 1000 concurrent, across dpkg -i): {outcome.Load.RequestsPerSecond:F0}");
    }

    [Fact]
    public async Task RotatedCertificateIsServedAfterReloadUnderAbWithoutALostRequest()
    {
        await using var box = await StartWithHttpsAsync("https-rotate", V1);
        var before = await ServedSerialAsync();
        var rotated = await MakeCertificateAsync("rotated", days: 30);
        await InstallCertificateAsync(box, rotated);
        Assert.Equal(before, await ServedSerialAsync()); // files alone change nothing: read at start

        var outcome = await LoadScenario.UnderAbHttpsAsync(HttpsPort, output,
            () => box.ShAsync($"systemctl reload {SystemdBox.Instance(V1)}"));

        Assert.Equal(0, outcome.Steps[0].ExitCode);
        LoadScenario.AssertNothingLost(outcome);
        Assert.Equal(rotated.Serial, await ServedSerialAsync());
        Assert.NotEqual(before, rotated.Serial);
    }

    [Fact]
    public async Task UpgradeWithABadCertificateSettingFailsNamingTheFileAndTheOldInstanceServesOn()
    {
        await using var box = await StartWithHttpsAsync("https-badcert", V1);
        var missing = Directory + "/missing.crt";
        (await box.ShAsync($"sed -i 's|\"CertificateFile\": \"{CertificateFile}\"|\"CertificateFile\": \"{missing}\"|' {BoxConfig.Conffile} && grep -q '{missing}' {BoxConfig.Conffile}"))
            .EnsureSuccess("point CertificateFile at a missing file");

        var outcome = await LoadScenario.UnderAbHttpsAsync(HttpsPort, output, () => box.DpkgInstallAsync(packages[V2]));

        Assert.NotEqual(0, outcome.Steps[0].ExitCode);
        LoadScenario.AssertNothingLost(outcome);
        Assert.Equal("active", await box.SystemctlAsync("is-active", V1));
        Assert.Contains($"Service:Https:CertificateFile '{missing}' does not exist", await box.JournalAsync(V2));
        Assert.Equal("78", await box.PropertyAsync(V2, "ExecMainStatus"));
    }

    [Fact]
    public async Task KeepAliveHttpsUnderWrkAcrossAnUpgradeLosesNoRequest()
    {
        await using var box = await StartWithHttpsAsync("https-wrk", V1);

        var outcome = await LoadScenario.UnderWrkHttpsAsync(HttpsPort, output, () => box.DpkgInstallAsync(packages[V2]));

        output.WriteLine(outcome.Load.RawOutput);
        Assert.Equal(0, outcome.Steps[0].ExitCode);
        LoadScenario.AssertNothingLost(outcome);
        // Both versions answered wrk's own keep-alive connections, not only the sampler's.
        Assert.True(outcome.Load.Versions.ContainsKey(V1) && outcome.Load.Versions.ContainsKey(V2), outcome.Load.ToString());
        Assert.Equal(outcome.Load.Completed, outcome.Load.Versions.Values.Sum());
        await BoxAssert.OnlyInstanceAsync(box, V2);
    }

    /// <summary>
    /// .NET's HttpClient over HTTP/2 (it follows GOAWAY: the old instance's unprocessed streams
    /// go again on a new connection, to the new instance) across dpkg -i: not one request may
    /// fail. Until the close_notify fix in Listening/TlsListen.cs, 4 of 7 runs lost 1 to 35.
    /// </summary>
    [Fact]
    public async Task Http2ClientsThatFollowGoAwayLoseNoRequestAcrossAnUpgrade()
    {
        await using var box = await StartWithHttpsAsync("https-h2", V1);
        const int Connections = 8;
        await using var load = Http2Load.Start(HttpsPort, Connections, streams: 32, duration: TimeSpan.FromSeconds(20));
        await Task.Delay(TimeSpan.FromSeconds(3));
        var started = load.Progress;

        var dpkg = await box.DpkgInstallAsync(packages[V2]);
        var during = load.Progress - started;
        var result = await load.WaitForResultAsync(LoadScenario.LoadDeadline);

        output.WriteLine(result.ToString());
        output.WriteLine($"requests started while dpkg -i ran: {during}");
        output.WriteLine($"dpkg -i: exit {dpkg.ExitCode}\n{dpkg.Output}{dpkg.Error}");
        // V1's stop, event by event (the drain's GOAWAY, any connection it cut), before any
        // assertion, so that a failure shows what the old instance did.
        var v1Events = (await box.JournalEntriesAsync(V1)).Where(e => e.Event is not null).ToList();
        v1Events.ForEach(e => output.WriteLine($"{SystemdBox.Instance(V1)}: {e.Message}"));
        Assert.Equal(0, dpkg.ExitCode);
        Assert.True(result.Passed, result.ToString());
        Assert.True(result.Versions.ContainsKey(V1) && result.Versions.ContainsKey(V2), result.ToString());
        // The telemetry saw every request's headers, so its count of re-sent ones means something.
        Assert.True(result.HeadersSent >= result.Requests, result.ToString());
        // V1's drain sent GOAWAY (its line says to how many connections), and the clients went
        // on over new connections to V2.
        Assert.Contains(v1Events, e => e.Event == ServiceEvent.Http2GoAwaySent);
        Assert.True(result.ConnectionsOpened > Connections, result.ToString());
        await BoxAssert.OnlyInstanceAsync(box, V2);
        await BoxAssert.StoppedCleanlyAsync(box, V1);
    }

    /// <summary>
    /// h2load (Debian's nghttp2-client) does not open a new connection after GOAWAY (nghttp2
    /// issue #1197), so this measures what a client that ignores GOAWAY sees, for
    /// docs/operations.md; the guarantee itself is Http2ClientsThatFollowGoAway...
    /// </summary>
    [Fact]
    public async Task H2loadAcrossAnUpgradeShowsWhatAClientThatDoesNotReconnectAfterGoAwaySees()
    {
        await using var box = await StartWithHttpsAsync("https-h2load", V1);
        const int Requests = 1_000_000;

        var outcome = await LoadScenario.UnderH2loadAsync(HttpsPort, clients: 8, streams: 16, Requests, output,
            () => box.DpkgInstallAsync(packages[V2]));

        output.WriteLine(outcome.Load.RawOutput);
        Assert.Equal(0, outcome.Steps[0].ExitCode);
        Assert.Contains(ServiceEvent.Http2GoAwaySent, await box.EventsAsync(V1));
        // What h2load got answered was answered well (2xx, none timed out); every request it did
        // not get answered, sent or not, it counts failed: it stopped at GOAWAY instead of reconnecting.
        Assert.True(outcome.Load.Completed > 0, outcome.Load.RawOutput);
        Assert.Equal(0, outcome.Load.Non2xx);
        Assert.Equal(Requests, outcome.Load.Requested);
        Assert.Equal(Requests, outcome.Load.Succeeded + outcome.Load.Failed);
        Assert.EndsWith("timeout: 0)", outcome.Load.FailedBreakdown);
        // The service answered everyone else: the sampler's fresh connections all along.
        Assert.Empty(outcome.SamplerErrors);
        await BoxAssert.OnlyInstanceAsync(box, V2);
    }

    private sealed record Certificate(string CertificateFile, string KeyFile, string Serial);

    /// <summary>A box with the group, the certificate and a conffile with Service:Https set, then the package.</summary>
    private async Task<SystemdBox> StartWithHttpsAsync(string purpose, string version)
    {
        var box = await SystemdBox.StartAsync(purpose);
        try
        {
            // The group the postinst would create, so the files can be given to it before the first install.
            (await box.ShAsync("getent group graceful-upgrade-example || addgroup --system --quiet graceful-upgrade-example")).EnsureSuccess("addgroup");
            await InstallCertificateAsync(box, await MakeCertificateAsync("initial", days: 30));
            var conffile = Path.Combine(_work, "config.json");
            var text = (await File.ReadAllTextAsync(Path.Combine(Repo.Root, "ops", "package", "config.json")))
                .Replace("\"Listen\": \"\"", $"\"Listen\": \"0.0.0.0:{HttpsPort}\"", StringComparison.Ordinal)
                .Replace("\"CertificateFile\": \"\"", $"\"CertificateFile\": \"{CertificateFile}\"", StringComparison.Ordinal)
                .Replace("\"KeyFile\": \"\"", $"\"KeyFile\": \"{KeyFile}\"", StringComparison.Ordinal);
            await File.WriteAllTextAsync(conffile, text);
            var inside = await box.CopyInAsync(conffile);
            (await box.ShAsync($"install -D -m 0644 {inside} {BoxConfig.Conffile}")).EnsureSuccess("install conffile");
            // The admin's conffile was there first: keep it (dpkg would ask otherwise).
            var deb = await box.CopyInAsync(packages[version]);
            (await box.ExecAsync("dpkg", "-i", "--force-confold", deb)).EnsureSuccess($"install {version}");
            return box;
        }
        catch
        {
            await box.DisposeAsync();
            throw;
        }
    }

    /// <summary>A CA and a server certificate for 127.0.0.1 signed by it, by openssl on the host.</summary>
    private async Task<Certificate> MakeCertificateAsync(string name, int days)
    {
        var dir = System.IO.Directory.CreateDirectory(Path.Combine(_work, name)).FullName;
        var script = $"""
            set -e; cd {dir}
            openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt -subj '/CN=test CA {name}' -days {days}
            openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout tls.key -out tls.csr -subj /CN=localhost
            printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' > ext
            openssl x509 -req -in tls.csr -CA ca.crt -CAkey ca.key -set_serial 0x$(openssl rand -hex 8) -days {days} -extfile ext -out leaf.crt
            cat leaf.crt ca.crt > tls.crt
            openssl x509 -in leaf.crt -noout -serial
            """;
        var result = await Cli.RunAsync("/bin/sh", ["-c", script], Deadline);
        result.EnsureSuccess($"openssl certificate {name}");
        return new Certificate(Path.Combine(dir, "tls.crt"), Path.Combine(dir, "tls.key"), SerialLine().Match(result.Output).Groups[1].Value);
    }

    /// <summary>As docs/operations.md says: root:graceful-upgrade-example 0640, replaced by rename.</summary>
    private static async Task InstallCertificateAsync(SystemdBox box, Certificate certificate)
    {
        var crt = await box.CopyInAsync(certificate.CertificateFile);
        var key = await box.CopyInAsync(certificate.KeyFile);
        (await box.ShAsync(
            $"mkdir -p {Directory} && install -o root -g graceful-upgrade-example -m 0640 {key} {KeyFile}.new && mv {KeyFile}.new {KeyFile} && " +
            $"install -o root -g graceful-upgrade-example -m 0640 {crt} {CertificateFile}.new && mv {CertificateFile}.new {CertificateFile}"))
            .EnsureSuccess("install certificate");
    }

    /// <summary>The serial of the certificate a new handshake on the https port presents (openssl s_client).</summary>
    private static async Task<string> ServedSerialAsync()
    {
        var result = await Cli.RunAsync("/bin/sh",
            ["-c", $"openssl s_client -connect 127.0.0.1:{HttpsPort} -servername localhost </dev/null 2>/dev/null | openssl x509 -noout -serial"], Deadline);
        result.EnsureSuccess("openssl s_client");
        return SerialLine().Match(result.Output).Groups[1].Value;
    }

    [GeneratedRegex(@"serial=([0-9A-F]+)")]
    private static partial Regex SerialLine();
}
