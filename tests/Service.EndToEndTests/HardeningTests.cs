using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using GracefulUpgrade.TestSupport;
using Xunit.Abstractions;

namespace GracefulUpgrade.EndToEndTests;

/// <summary>The packaged service against hostile clients, and what it may touch.</summary>
[Collection(PackagesCollection.Name)]
public sealed partial class HardeningTests(Packages packages, ITestOutputHelper output)
{
    private static readonly string V1 = Artifacts.V1;

    [Fact]
    public async Task HostileClientsGet4xxOrAreClosedWhileAWellBehavedClientSeesNoError()
    {
        await using var box = await SystemdBox.StartAsync("hostile");
        (await box.DpkgInstallAsync(packages[V1])).EnsureSuccess("install v1");
        await using var good = LoadGenerator.StartAb(SystemdBox.Port, concurrency: 10, requests: 30_000);

        var idle = new List<Socket>();
        var slow = new List<Socket>();
        try
        {
            for (int i = 0; i < 1000; i++)
            {
                idle.Add(await ConnectAsync());
            }
            for (int i = 0; i < 100; i++)
            {
                var socket = await ConnectAsync();
                await socket.SendAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: a\r\n"), SocketFlags.None);
                slow.Add(socket);
            }

            Assert.StartsWith("HTTP/1.1 400", await ExchangeAsync("\x16\x03\x01garbage\r\n\r\n"));
            Assert.StartsWith("HTTP/1.1 400", await ExchangeAsync("GET / HTTP/1.1\r\n\r\n")); // no Host
            Assert.StartsWith("HTTP/1.1 431", await ExchangeAsync($"GET / HTTP/1.1\r\nHost: a\r\nX-Big: {new string('a', 40_000)}\r\n\r\n"));
            Assert.StartsWith("HTTP/1.1 414", await ExchangeAsync($"GET /{new string('a', 10_000)} HTTP/1.1\r\nHost: a\r\n\r\n"));
            Assert.StartsWith("HTTP/1.1 405", await ExchangeAsync("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000000\r\n\r\n"));

            // Slowloris: one header byte at a time, slower than Kestrel's 10 s header deadline allows.
            var trickle = await ConnectAsync();
            var closedAfter = await TrickleUntilClosedAsync(trickle, TimeSpan.FromSeconds(30));
            output.WriteLine($"slow-header client closed by the server after {closedAfter.TotalSeconds:F1} s");
            Assert.InRange(closedAfter, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(20));
        }
        finally
        {
            idle.Concat(slow).ToList().ForEach(s => s.Dispose());
        }

        var result = await good.WaitForResultAsync(TimeSpan.FromMinutes(3));
        output.WriteLine(result.ToString());
        Assert.Equal(30_000, result.Completed);
        Assert.Equal(0, result.Failed);
        Assert.Equal(0, result.Non2xx);
        Assert.Equal("active", await box.SystemctlAsync("is-active", V1));
        Assert.Equal("0", await box.PropertyAsync(V1, "NRestarts"));
    }

    [Fact]
    public async Task ServiceRunsUnprivilegedAndThePackageIsRootOwned()
    {
        await using var box = await SystemdBox.StartAsync("privilege");
        (await box.DpkgInstallAsync(packages[V1])).EnsureSuccess("install v1");
        var pid = await box.PropertyAsync(V1, "MainPID");

        Assert.Equal(SystemdBox.Unit, (await box.ShAsync($"ps -o user:40= -p {pid}")).Output.Trim());
        var status = (await box.ExecAsync("cat", $"/proc/{pid}/status")).Output;
        // CAP_NET_BIND_SERVICE (bit 10) and nothing else, for ports below 1024 (the unit's
        // CapabilityBoundingSet= and AmbientCapabilities=).
        foreach (var set in new[] { "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb" })
        {
            Assert.Matches($"{set}:\\s+0000000000000400", status);
        }
        Assert.Matches(@"NoNewPrivs:\s+1", status);

        Assert.Equal($"640 root {SystemdBox.Unit}", (await box.ExecAsync("stat", "-c", "%a %U %G", BoxConfig.Conffile)).Output.Trim());

        var contents = await Cli.RunAsync("dpkg-deb", ["-c", packages[V1]], TimeSpan.FromMinutes(1));
        var entries = contents.EnsureSuccess("dpkg-deb -c").Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(entries);
        Assert.All(entries, line =>
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal("root/root", fields[1]);
            Assert.NotEqual('w', fields[0][8]); // not world-writable
        });

        var security = (await box.ExecAsync("systemd-analyze", "security", "--no-pager", SystemdBox.Instance(V1))).Output;
        var exposure = Exposure().Match(security);
        Assert.True(exposure.Success, security);
        output.WriteLine(exposure.Value);
        Assert.InRange(double.Parse(exposure.Groups[1].Value, CultureInfo.InvariantCulture), 0.0, 2.0);
    }

    private static async Task<Socket> ConnectAsync()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, SystemdBox.Port);
        return socket;
    }

    private static async Task<string> ExchangeAsync(string request)
    {
        using var socket = await ConnectAsync();
        await socket.SendAsync(Encoding.ASCII.GetBytes(request), SocketFlags.None);
        var buffer = new byte[4096];
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        int read = await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token);
        return Encoding.ASCII.GetString(buffer, 0, read);
    }

    private static async Task<TimeSpan> TrickleUntilClosedAsync(Socket socket, TimeSpan limit)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        var header = Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: a\r\nX-Slow: " + new string('a', 100));
        var probe = new byte[1];
        foreach (var b in header)
        {
            if (started.Elapsed > limit)
            {
                break;
            }
            try
            {
                await socket.SendAsync(new[] { b }, SocketFlags.None);
                // A closed connection reads as 0 bytes (or 408 then 0); poll without blocking long.
                if (socket.Poll(500_000, SelectMode.SelectRead))
                {
                    int read = socket.Receive(probe);
                    if (read == 0 || probe[0] == (byte)'H')
                    {
                        return started.Elapsed;
                    }
                }
            }
            catch (SocketException)
            {
                return started.Elapsed;
            }
        }
        return started.Elapsed;
    }

    [GeneratedRegex(@"Overall exposure level for \S+: ([\d.]+)")]
    private static partial Regex Exposure();
}
