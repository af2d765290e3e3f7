using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using GracefulUpgrade.TestSupport;

namespace GracefulUpgrade.IntegrationTests;

/// <summary>The published binary as a child process: endpoints, sd_notify, drain, failures.</summary>
[Collection(BinariesCollection.Name)]
public sealed class LifecycleTests(PublishedBinaries binaries)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task EveryEndpointAnswersWithTheVersionHeader()
    {
        int port = ServiceProcess.FreePort();
        await using var service = await ServiceProcess.StartReadyAsync(binaries.V1, port);
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };

        foreach (var (path, status) in new[] { ("/", 200), ("/healthz", 200), ("/readyz", 200), ("/version", 200), ("/nope", 404), ("/delay?ms=1", 404) })
        {
            using var response = await client.GetAsync(path);
            Assert.Equal(status, (int)response.StatusCode);
            Assert.Equal(Artifacts.V1, Assert.Single(response.Headers.GetValues("X-App-Version")));
        }

        Assert.Equal($"graceful-upgrade-example {Artifacts.V1}\n", await client.GetStringAsync("/"));
        using var version = JsonDocument.Parse(await client.GetStringAsync("/version"));
        Assert.Equal(Artifacts.V1, version.RootElement.GetProperty("version").GetString());
        Assert.Equal(service.Pid, version.RootElement.GetProperty("pid").GetInt32());
        Assert.True(version.RootElement.GetProperty("startedAt").GetDateTimeOffset() > DateTimeOffset.Now.AddMinutes(-5));
    }

    [Fact]
    public async Task ReadyIsSentOnceAfterTheSelfCheckAndStoppingOnSigterm()
    {
        int port = ServiceProcess.FreePort();
        await using var service = await ServiceProcess.StartReadyAsync(binaries.V1, port);

        service.Terminate();
        await service.Notify.WaitForAsync("STOPPING=1", Deadline);
        Assert.Equal(0, await service.WaitForExitAsync(Deadline));

        // STATUS= lines come and go (StatusReporterSendsServingThenDraining); these two once each.
        Assert.Equal(["READY=1", "STOPPING=1"], service.Notify.StateChanges);
        var log = service.Log;
        var lines = log.Split('\n');
        int selfCheck = Array.FindIndex(lines, line => ServiceEvents.Of(line) == ServiceEvent.SelfCheckPassed);
        // The host's "Application started" is its Lifetime category's event 0, the first of them.
        int started = Array.FindIndex(lines, line => line.Contains("Microsoft.Hosting.Lifetime[0]", StringComparison.Ordinal));
        Assert.True(selfCheck >= 0 && started > selfCheck, "the self-check must pass before the host reports started:\n" + log);
        Assert.Contains(ServiceEvent.ListenerClosed, ServiceEvents.In(log));
    }

    [Fact]
    public async Task StatusLineSaysServingWithTheConnectionCountThenDraining()
    {
        int port = ServiceProcess.FreePort();
        await using var service = await ServiceProcess.StartReadyAsync(binaries.V1, port);

        await service.Notify.WaitForAsync($"STATUS=Serving {Artifacts.V1} on 127.0.0.1:{port}, 0 connections", Deadline);
        using (var idle = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            await idle.ConnectAsync(IPAddress.Loopback, port);
            await service.Notify.WaitForAsync($"STATUS=Serving {Artifacts.V1} on 127.0.0.1:{port}, 1 connection", Deadline);
            // Terminated with the connection open: the drain waits for it until the window ends.
            service.Terminate();
            await service.Notify.WaitForAsync("STATUS=Draining: 1 connection left", Deadline);
        }
        Assert.Equal(0, await service.WaitForExitAsync(Deadline));
        // One datagram per change, never the same line twice in a row.
        var statuses = service.Notify.Received.Where(m => m.StartsWith("STATUS=", StringComparison.Ordinal)).ToList();
        Assert.All(statuses.Zip(statuses.Skip(1)), pair => Assert.NotEqual(pair.First, pair.Second));
    }

    [Fact]
    public async Task SelfCheckThatNeverPassesFailsStartWithoutReady()
    {
        int port = ServiceProcess.FreePort();
        await using var service = ServiceProcess.Start(binaries.Faulty, port, ["--Service:SelfCheck:BudgetSeconds=1"],
            new Dictionary<string, string> { ["GUE_TEST_FAULT"] = "selfcheck" });

        Assert.Equal(70, await service.WaitForExitAsync(Deadline));
        Assert.DoesNotContain("READY=1", service.Notify.Received);
        Assert.Contains(ServiceEvent.StartupFailed, ServiceEvents.In(service.Log));
        Assert.Contains("answered 500", service.Log); // the message says why: what the operator reads
    }

    [Fact]
    public async Task SecondProcessBindsTheSamePort()
    {
        int port = ServiceProcess.FreePort();
        await using var first = await ServiceProcess.StartReadyAsync(binaries.V1, port);
        await using var second = await ServiceProcess.StartReadyAsync(binaries.V2, port);

        Assert.False(first.HasExited);
        await second.WaitForEventAsync(ServiceEvent.Listening, Deadline);
        // Both in the port's group: two listening sockets on it.
        var listeners = await Cli.RunAsync("ss", ["-Hltn", $"sport = :{port}"], TimeSpan.FromSeconds(10));
        Assert.Equal(2, listeners.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public async Task BuildWhoseSelfCheckFailsNeverListensOnTheSharedPortSoEveryClientMeetsTheServingOne()
    {
        int port = ServiceProcess.FreePort();
        await using var serving = await ServiceProcess.StartReadyAsync(binaries.V1, port);
        await using var faulty = ServiceProcess.Start(binaries.Faulty, port, ["--Service:SelfCheck:BudgetSeconds=2"],
            new Dictionary<string, string> { ["GUE_TEST_FAULT"] = "selfcheck" });
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var listenerCounts = new List<int>();
        var versions = new Dictionary<string, int>();

        // While the faulty build retries its self-check (it has bound the port by then), the
        // port has one listening socket, the serving one's, and every request reaches it.
        using var deadline = new CancellationTokenSource(Deadline);
        while (!faulty.HasExited)
        {
            deadline.Token.ThrowIfCancellationRequested();
            var listeners = await Cli.RunAsync("ss", ["-Hltn", $"sport = :{port}"], TimeSpan.FromSeconds(10));
            listenerCounts.Add(listeners.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
            for (int i = 0; i < 20; i++)
            {
                using var response = await client.GetAsync($"http://127.0.0.1:{port}/", deadline.Token);
                var version = response.Headers.GetValues("X-App-Version").Single();
                versions[version] = versions.GetValueOrDefault(version) + 1;
            }
        }

        Assert.Equal(70, await faulty.WaitForExitAsync(Deadline));
        Assert.Contains(ServiceEvent.SelfCheckRetry, ServiceEvents.In(faulty.Log));
        Assert.DoesNotContain(ServiceEvent.Listening, ServiceEvents.In(faulty.Log));
        Assert.True(listenerCounts.Count >= 3, $"only {listenerCounts.Count} sample(s) while the faulty build ran");
        Assert.All(listenerCounts, count => Assert.Equal(1, count));
        Assert.Equal([Artifacts.V1], versions.Keys);
        Assert.False(serving.HasExited);
    }

    [Fact]
    public async Task PortHeldOutsideTheReusePortGroupFailsWithAClearError()
    {
        int port = ServiceProcess.FreePort();
        using var squatter = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        squatter.Bind(new IPEndPoint(IPAddress.Loopback, port));
        squatter.Listen();

        await using var service = ServiceProcess.Start(binaries.V1, port);

        Assert.Equal(69, await service.WaitForExitAsync(Deadline));
        Assert.Contains($"Cannot listen on 127.0.0.1:{port} (Service:Listen): the address is in use", service.Log);
        Assert.DoesNotContain("Unhandled exception", service.Log);
    }

    [Fact]
    public async Task HttpsPortHeldOutsideTheReusePortGroupFailsNamingTheHttpsSetting()
    {
        int port = ServiceProcess.FreePort(), httpsPort = ServiceProcess.FreePort();
        using var squatter = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        squatter.Bind(new IPEndPoint(IPAddress.Loopback, httpsPort));
        squatter.Listen();
        var directory = Directory.CreateTempSubdirectory("gue-inuse-");
        var files = TestCertificates.Write(directory.FullName);

        await using var service = ServiceProcess.Start(binaries.V1, port,
            [$"--Service:Https:Listen=127.0.0.1:{httpsPort}", $"--Service:Https:CertificateFile={files.CertificateFile}", $"--Service:Https:KeyFile={files.KeyFile}"]);

        var exitCode = await service.WaitForExitAsync(Deadline);
        directory.Delete(recursive: true);
        Assert.Equal(69, exitCode);
        Assert.Contains(ServiceEvent.StartupFailed, ServiceEvents.In(service.Log));
        Assert.Contains($"Cannot listen on 127.0.0.1:{httpsPort} (Service:Https:Listen): the address is in use", service.Log);
        Assert.Contains($"ss -ltnp 'sport = :{httpsPort}'", service.Log);
        Assert.DoesNotContain("(Service:Listen)", service.Log);
        Assert.DoesNotContain("Unhandled exception", service.Log);
    }

    [Theory]
    [InlineData("--Service:Backlog=1", "Backlog")]
    [InlineData("--Service:Listen=localhost:80", "Service:Listen 'localhost:80' is not an IP address and port")]
    [InlineData("--Service:DrainWindowSeconds=30", "Service:DrainWindowSeconds (30) must be less than Service:ShutdownTimeoutSeconds (20)")]
    [InlineData("--Service:DrainWindowSecnds=3", "'DrainWindowSecnds'")]
    [InlineData("--Service:Backlog=many", "Service:Backlog")]
    public async Task InvalidSettingFailsStartNamingTheSetting(string argument, string expected)
    {
        await using var service = ServiceProcess.Start(binaries.V1, ServiceProcess.FreePort(), [argument]);

        Assert.Equal(78, await service.WaitForExitAsync(Deadline));
        Assert.Contains("Invalid configuration", service.Log);
        Assert.Contains(expected, service.Log);
        Assert.Empty(service.Notify.Received);
    }

    [Fact]
    public async Task ConffileThatIsNotJsonFailsStartWithTheFileName()
    {
        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, "{ \"Service\": { \"Listen\": ");
        try
        {
            await using var service = ServiceProcess.Start(binaries.V1, ServiceProcess.FreePort(), [],
                new Dictionary<string, string> { ["GRACEFUL_UPGRADE_EXAMPLE_CONFIG"] = file });

            Assert.Equal(78, await service.WaitForExitAsync(Deadline));
            Assert.Contains(file, service.Log);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task EndpointsRefuseWhatRoutingRefused()
    {
        int port = ServiceProcess.FreePort();
        await using var service = await ServiceProcess.StartReadyAsync(binaries.V1, port, ["--Service:DelayEndpoint:Enabled=true"]);
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = Deadline };

        foreach (var path in new[] { "/", "/healthz", "/delay?ms=1" })
        {
            using var post = await client.PostAsync(path, null);
            Assert.Equal(HttpStatusCode.MethodNotAllowed, post.StatusCode);
            Assert.Equal("GET", Assert.Single(post.Content.Headers.Allow));
        }
        foreach (var query in new[] { "", "?ms=abc", "?ms=-1", "?ms=1&ms=2", "?ms=99999999" })
        {
            using var bad = await client.GetAsync("/delay" + query);
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.StartsWith("ms must be", await bad.Content.ReadAsStringAsync());
        }
        Assert.Equal("waited 1 ms\n", await client.GetStringAsync("/delay?ms=1"));
    }

    [Fact]
    public async Task InFlightRequestCompletesDuringDrain()
    {
        int port = ServiceProcess.FreePort();
        await using var service = await ServiceProcess.StartReadyAsync(binaries.V1, port, ["--Service:DelayEndpoint:Enabled=true"]);
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = Deadline };

        var slow = client.GetAsync("/delay?ms=1500");
        await WaitForOpenConnectionAsync(port);
        service.Terminate();

        using var response = await slow;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(response.Headers.ConnectionClose, "a response sent while draining asks the client to reconnect");
        Assert.Equal(0, await service.WaitForExitAsync(Deadline));
        Assert.Contains(ServiceEvent.DrainFinished, ServiceEvents.In(service.Log));
        Assert.DoesNotContain(ServiceEvent.ShutdownDeadlineReached, ServiceEvents.In(service.Log));
    }

    [Fact]
    public async Task RequestLongerThanTheShutdownTimeoutIsAbortedInBoundedTime()
    {
        int port = ServiceProcess.FreePort();
        await using var service = await ServiceProcess.StartReadyAsync(binaries.V1, port,
            ["--Service:DelayEndpoint:Enabled=true", "--Service:DrainWindowSeconds=0.5", "--Service:ShutdownTimeoutSeconds=2"]);
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = Deadline };

        var endless = client.GetAsync("/delay?ms=30000");
        await WaitForOpenConnectionAsync(port);
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        service.Terminate();

        Assert.Equal(0, await service.WaitForExitAsync(TimeSpan.FromSeconds(10)));
        Assert.InRange(stopwatch.Elapsed, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(6));
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => endless);
        var events = ServiceEvents.In(service.Log);
        Assert.Contains(ServiceEvent.DrainWindowEnded, events);
        Assert.Contains(ServiceEvent.ShutdownDeadlineReached, events);
    }

    [Fact]
    public async Task MalformedAndOversizedRequestsGet4xxAndTheServiceStaysUp()
    {
        int port = ServiceProcess.FreePort();
        await using var service = await ServiceProcess.StartReadyAsync(binaries.V1, port);

        Assert.StartsWith("HTTP/1.1 400", await RawExchangeAsync(port, "BLAH\r\n\r\n"));
        Assert.StartsWith("HTTP/1.1 400", await RawExchangeAsync(port, "GET / HTTP/1.1\r\nHost: a\r\nBad Header\r\n\r\n"));
        Assert.StartsWith("HTTP/1.1 431", await RawExchangeAsync(port, $"GET / HTTP/1.1\r\nHost: a\r\nX-Big: {new string('a', 40_000)}\r\n\r\n"));
        Assert.StartsWith("HTTP/1.1 414", await RawExchangeAsync(port, $"GET /{new string('a', 10_000)} HTTP/1.1\r\nHost: a\r\n\r\n"));
        // No endpoint takes a body: a huge one is refused before a byte of it is read.
        Assert.StartsWith("HTTP/1.1 405", await RawExchangeAsync(port, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10000000\r\n\r\n"));

        Assert.False(service.HasExited);
        Assert.StartsWith("HTTP/1.1 200", await RawExchangeAsync(port, "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"));
    }

    private static async Task<string> RawExchangeAsync(int port, string request)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, port);
        await socket.SendAsync(System.Text.Encoding.ASCII.GetBytes(request), SocketFlags.None);
        var buffer = new byte[4096];
        using var deadline = new CancellationTokenSource(Deadline);
        int read = await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token);
        return System.Text.Encoding.ASCII.GetString(buffer, 0, read);
    }

    // The client's connection shows up in the kernel's table once established; no sleeping.
    private static async Task WaitForOpenConnectionAsync(int port)
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (!System.Net.NetworkInformation.IPGlobalProperties.GetIPGlobalProperties().GetActiveTcpConnections()
                   .Any(c => c.LocalEndPoint.Port == port && c.State == System.Net.NetworkInformation.TcpState.Established))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"no connection to port {port} appeared");
            }
            await Task.Delay(10);
        }
        // The request bytes follow the handshake immediately; give them a moment to be read.
        await Task.Delay(200);
    }
}
