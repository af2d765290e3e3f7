using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using GracefulUpgrade.TestSupport;
using Xunit.Abstractions;

namespace GracefulUpgrade.EndToEndTests;

/// <summary>What "systemctl status" says the instance is doing (STATUS=, Lifetime/StatusReporter).</summary>
[Collection(PackagesCollection.Name)]
public sealed class StatusLineTests(Packages packages, ITestOutputHelper output)
{
    private static readonly string V1 = Artifacts.V1, V2 = Artifacts.V2;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task SystemctlStatusShowsTheConnectionCountWhileServingAndWhatIsLeftWhileDraining()
    {
        await using var box = await SystemdBox.StartAsync("status");
        (await box.DpkgInstallAsync(packages[V1])).EnsureSuccess("install v1");
        await BoxConfig.SetAsync(box, "Enabled", "true");
        (await box.ExecAsync("systemctl", "restart", SystemdBox.Instance(V1))).EnsureSuccess("restart v1 with the delay endpoint");

        await WaitForStatusAsync(box, V1, $"Serving {V1} on 0.0.0.0:{SystemdBox.Port}, 0 connections");
        var idle = new List<Socket>();
        try
        {
            for (int i = 0; i < 5; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(IPAddress.Loopback, SystemdBox.Port);
                idle.Add(socket);
            }
            await WaitForStatusAsync(box, V1, $"Serving {V1} on 0.0.0.0:{SystemdBox.Port}, 5 connections");
        }
        finally
        {
            idle.ForEach(s => s.Dispose());
        }
        await WaitForStatusAsync(box, V1, $"Serving {V1} on 0.0.0.0:{SystemdBox.Port}, 0 connections");
        Assert.Contains($"Status: \"Serving {V1} on 0.0.0.0:{SystemdBox.Port}, 0 connections\"",
            (await box.ExecAsync("systemctl", "status", "--no-pager", SystemdBox.Instance(V1))).Output);

        // A request held on v1 keeps it draining for 4 s after the upgrade has started v2.
        using var held = await HeldRequest.SendAsync(SystemdBox.Port, "/delay?ms=4000");
        await held.WaitUntilReadByServerAsync(Deadline);
        var upgrade = box.DpkgInstallAsync(packages[V2]);
        await WaitForStatusAsync(box, V1, "Draining: 1 connection left");
        Assert.Equal(new HeldResponse(200, V1), await held.ResponseAsync(TimeSpan.FromSeconds(30)));
        (await upgrade).EnsureSuccess("upgrade to v2");

        await WaitForStatusAsync(box, V2, $"Serving {V2} on 0.0.0.0:{SystemdBox.Port}, 0 connections");
    }

    /// <summary>Polls systemd's StatusText of an instance until it reads exactly `expected`.</summary>
    private async Task WaitForStatusAsync(SystemdBox box, string version, string expected)
    {
        var deadline = Stopwatch.StartNew();
        string seen;
        while ((seen = await box.PropertyAsync(version, "StatusText")) != expected)
        {
            if (deadline.Elapsed > Deadline)
            {
                Assert.Fail($"StatusText of {version} was '{seen}' after {Deadline}, expected '{expected}'");
            }
            await Task.Delay(50);
        }
        output.WriteLine($"{version}: StatusText '{seen}' after {deadline.ElapsedMilliseconds} ms");
    }
}
