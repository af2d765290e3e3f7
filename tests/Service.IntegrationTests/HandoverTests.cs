using GracefulUpgrade.TestSupport;
using Xunit.Abstractions;

namespace GracefulUpgrade.IntegrationTests;

/// <summary>
/// The handover itself, with two real processes of the published binary and no systemd:
/// v1 serves under load, v2 starts and reports READY=1, v1 gets SIGTERM and drains.
/// Clients must see no failed request, no non-2xx answer, and both versions.
/// </summary>
[Collection(BinariesCollection.Name)]
public sealed class HandoverTests(PublishedBinaries binaries, ITestOutputHelper output)
{
    private static readonly TimeSpan LoadDeadline = TimeSpan.FromMinutes(4);

    [Fact]
    public Task HandoverUnderAbLoadLosesNoRequest() =>
        HandoverAsync(port => LoadGenerator.StartAb(port, concurrency: 1000, requests: 200_000), abProgress: 60_000);

    [Fact]
    public Task HandoverUnderAbKeepAliveLoadLosesNoRequest() =>
        HandoverAsync(port => LoadGenerator.StartAb(port, concurrency: 1000, requests: 200_000, keepAlive: true), abProgress: 60_000);

    [Fact]
    public Task HandoverUnderWrkKeepAliveLoadHasNoSocketError() =>
        HandoverAsync(port => LoadGenerator.StartWrk(port, connections: 200, duration: TimeSpan.FromSeconds(8)), abProgress: null);

    private async Task HandoverAsync(Func<int, LoadGenerator> startLoad, long? abProgress)
    {
        using var sysctl = new MigrateReqSysctl();
        int port = ServiceProcess.FreePort();
        await using var v1 = await ServiceProcess.StartReadyAsync(binaries.V1, port);
        await using var sampler = new VersionSampler(port, TimeSpan.FromMilliseconds(5));
        await using var load = startLoad(port);

        if (abProgress is { } progress)
        {
            await load.WaitForProgressAsync(progress, LoadDeadline);
        }
        else
        {
            await Task.Delay(TimeSpan.FromSeconds(2)); // wrk runs for a fixed time: hand over inside it
        }

        await using var v2 = await ServiceProcess.StartReadyAsync(binaries.V2, port);
        v1.Terminate();
        Assert.Equal(0, await v1.WaitForExitAsync(TimeSpan.FromSeconds(30)));

        var result = await load.WaitForResultAsync(LoadDeadline);
        output.WriteLine(result.ToString());
        output.WriteLine(string.Join(Environment.NewLine, v1.Log.Split('\n').Where(l => l.Contains("Drain") || l.Contains("Stopped"))));
        output.WriteLine("sampler: " + string.Join(", ", sampler.CountByVersion.Select(kv => $"{kv.Key}={kv.Value}")));

        Assert.True(result.Completed > 0, "the load generator completed no request:\n" + result.RawOutput);
        Assert.Equal(0, result.Failed);
        Assert.Equal(0, result.SocketErrors);
        Assert.Equal(0, result.Non2xx);
        Assert.Empty(sampler.Errors);
        Assert.True(sampler.CountByVersion.ContainsKey(Artifacts.V1), "v1 never answered the sampler");
        Assert.True(sampler.CountByVersion.ContainsKey(Artifacts.V2), "v2 never answered the sampler");
        Assert.False(v2.HasExited);
    }
}
