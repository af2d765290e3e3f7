using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using GracefulUpgrade.TestSupport;

namespace GracefulUpgrade.IntegrationTests;

/// <summary>
/// The published binary with Service:Https set, certificates made by the test: HTTPS beside
/// plain HTTP, HTTP/1.1 and HTTP/2 by ALPN, the TLS self-check, a bad certificate refused
/// with exit 78, and the drain: GOAWAY for HTTP/2, "Connection: close" for HTTP/1.1 over TLS.
/// </summary>
[Collection(BinariesCollection.Name)]
public sealed class HttpsTests(PublishedBinaries binaries) : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "gue-https-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>Certificates in the test's directory, two free ports (plain HTTP, HTTPS) and the service's HTTPS arguments.</summary>
    private sealed record HttpsSetup(TestCertificates.PemFiles Files, int Port, int HttpsPort)
    {
        public List<string> Args =>
        [
            $"--Service:Https:Listen=127.0.0.1:{HttpsPort}",
            $"--Service:Https:CertificateFile={Files.CertificateFile}",
            $"--Service:Https:KeyFile={Files.KeyFile}",
        ];
    }

    private HttpsSetup Prepare(DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null) =>
        new(TestCertificates.Write(_directory, notBefore, notAfter), ServiceProcess.FreePort(), ServiceProcess.FreePort());

    private static HttpClient Client(TestCertificates.PemFiles files, Version version) =>
        new(new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                // Trusts exactly the test's CA: the server must send a chain that leads to it.
                RemoteCertificateValidationCallback = (_, presented, _, _) => TestCertificates.IsIssuedBy(presented as X509Certificate2, files.Authority),
            },
        })
        {
            DefaultRequestVersion = version,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Timeout = Deadline,
        };

    [Theory]
    [InlineData("1.1")]
    [InlineData("2.0")]
    public async Task HttpsAnswersWithTheVersionHeaderBesidePlainHttp(string protocol)
    {
        var https = Prepare();
        await using var service = await ServiceProcess.StartReadyAsync(binaries.V1, https.Port, https.Args);
        await service.WaitForEventAsync(ServiceEvent.TlsSelfCheckPassed, Deadline);

        using var client = Client(https.Files, Version.Parse(protocol));
        using var response = await client.GetAsync($"https://127.0.0.1:{https.HttpsPort}/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Version.Parse(protocol), response.Version);
        Assert.Equal(Artifacts.V1, Assert.Single(response.Headers.GetValues("X-App-Version")));

        using var plain = new HttpClient { Timeout = Deadline };
        using var plainResponse = await plain.GetAsync($"http://127.0.0.1:{https.Port}/");
        Assert.Equal(Artifacts.V1, Assert.Single(plainResponse.Headers.GetValues("X-App-Version")));
    }

    [Fact]
    public async Task AnExpiredCertificateFailsStartWithExit78NamingTheSettingAndTheFile()
    {
        var https = Prepare(DateTimeOffset.UtcNow.AddDays(-30), DateTimeOffset.UtcNow.AddDays(-1));
        await using var service = ServiceProcess.Start(binaries.V1, https.Port, https.Args);

        Assert.Equal(78, await service.WaitForExitAsync(Deadline));
        // Refused while the host is built, before logging exists: one line on stderr, no event id
        // (as for a conffile that is not JSON), and the exit status is what systemd and dpkg see.
        var line = Assert.Single(service.Log.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.StartsWith($"Invalid configuration: Service:Https:CertificateFile '{https.Files.CertificateFile}' expired on ", line);
        Assert.DoesNotContain("READY=1", service.Notify.Received);
    }

    [Fact]
    public async Task TheDrainSendsHttp2GoAwayAtOnceAndAnswersHttp11OverTlsWithConnectionClose()
    {
        var https = Prepare();
        // A drain window far longer than the wait below: GOAWAY must come when the drain begins,
        // not from Kestrel's own stop at the window's end.
        var args = https.Args;
        args.Add("--Service:DrainWindowSeconds=15");
        await using var service = await ServiceProcess.StartReadyAsync(binaries.V1, https.Port, args);

        using var deadline = new CancellationTokenSource(Deadline);
        await using var http2 = await RawHttp2Connection.OpenAsync(https.HttpsPort, https.Files.Authority, deadline.Token);
        Assert.Equal(SslApplicationProtocol.Http2, http2.Protocol);
        var goAway = http2.ReadUntilGoAwayAsync(deadline.Token);

        using var http11 = Client(https.Files, HttpVersion.Version11);
        using (var before = await http11.GetAsync($"https://127.0.0.1:{https.HttpsPort}/"))
        {
            Assert.False(before.Headers.ConnectionClose == true, "no Connection: close before the drain");
        }

        service.Terminate();
        await service.WaitForEventAsync(ServiceEvent.ListenerClosed, Deadline);
        var goAwayWithin = await Task.WhenAny(goAway, Task.Delay(TimeSpan.FromSeconds(5), deadline.Token));
        Assert.True(goAwayWithin == goAway, "no GOAWAY within 5 s of the drain's start:\n" + service.Log);
        Assert.Equal(0u, await goAway); // NO_ERROR: a graceful close
        Assert.Contains(ServiceEvent.Http2GoAwaySent, ServiceEvents.In(service.Log));

        // The pooled HTTP/1.1 connection is still open: its next response says to reconnect.
        using (var during = await http11.GetAsync($"https://127.0.0.1:{https.HttpsPort}/"))
        {
            Assert.Equal(HttpStatusCode.OK, during.StatusCode);
            Assert.True(during.Headers.ConnectionClose, "HTTP/1.1 over TLS during the drain must get Connection: close");
        }
        Assert.Equal(0, await service.WaitForExitAsync(Deadline));
    }

    /// <summary>
    /// The handover of the e2e HTTP/2 upgrade test in a few seconds on loopback, without
    /// systemd or dpkg: V2 joins the port group, V1 drains (GOAWAY to every HTTP/2 connection)
    /// and closes its connections under 8 connections x 32 concurrent streams of .NET's
    /// HttpClient, which follows GOAWAY. Not one request may fail.
    /// </summary>
    [Fact]
    public async Task Http2ClientsThatFollowGoAwayLoseNoRequestWhenTheOldProcessDrains()
    {
        var https = Prepare();
        await using var v1 = await ServiceProcess.StartReadyAsync(binaries.V1, https.Port, https.Args);
        await using var load = Http2Load.Start(https.HttpsPort, connections: 8, streams: 32, duration: TimeSpan.FromSeconds(6));
        await Task.Delay(TimeSpan.FromSeconds(2));
        await using var v2 = await ServiceProcess.StartReadyAsync(binaries.V2, https.Port, https.Args);
        v1.Terminate();
        Assert.Equal(0, await v1.WaitForExitAsync(Deadline));
        var result = await load.WaitForResultAsync(Deadline);

        Assert.True(result.Passed, result + "\n" + v1.Log);
        Assert.True(result.Versions.ContainsKey(Artifacts.V1) && result.Versions.ContainsKey(Artifacts.V2), result.ToString());
    }

    [Fact]
    public async Task TheHarnessHttp2LoadSeesItsConnectionsAndEveryRequestOnRealKestrel()
    {
        // The e2e HTTP/2 upgrade test reads connections and handler re-sends from Http2Load's
        // telemetry: with no drain, it must count exactly the connections asked for and no re-send.
        var https = Prepare();
        await using var service = await ServiceProcess.StartReadyAsync(binaries.V1, https.Port, https.Args);

        await using var load = Http2Load.Start(https.HttpsPort, connections: 2, streams: 4, duration: TimeSpan.FromSeconds(2));
        var result = await load.WaitForResultAsync(Deadline);

        Assert.True(result.Passed, result.ToString());
        Assert.Equal(2, result.ConnectionsOpened);
        Assert.Equal(result.Requests, result.HeadersSent);
        Assert.Equal(0, result.ResentByHandler);
        var answered = Assert.Single(result.Versions);
        Assert.Equal((Artifacts.V1, result.Requests), (answered.Key, answered.Value));
    }
}
