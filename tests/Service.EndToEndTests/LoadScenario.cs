using System.Diagnostics;
using GracefulUpgrade.TestSupport;
using Xunit.Abstractions;

namespace GracefulUpgrade.EndToEndTests;

/// <summary>
/// Runs a package operation inside the box while the original experiment's load runs from the
/// host, and collects what the clients saw.
/// </summary>
public static class LoadScenario
{
    public sealed record Outcome(LoadResult Load, IReadOnlyDictionary<string, int> Versions,
        IReadOnlyList<VersionSampler.Sample> SamplerErrors, IReadOnlyList<CliResult> Steps, IReadOnlyList<TimeSpan> StepDurations);

    public static readonly TimeSpan LoadDeadline = TimeSpan.FromMinutes(5);

    /// <summary>ab -c 1000 -n 200000 (the original experiment), the steps run once 20% is done.</summary>
    public static Task<Outcome> UnderAbAsync(ITestOutputHelper output, params Func<Task<CliResult>>[] steps) =>
        UnderAbOnPortAsync(SystemdBox.Port, output, steps);

    /// <summary>The same, against a service listening on another port (e.g. 80).</summary>
    public static Task<Outcome> UnderAbOnPortAsync(int port, ITestOutputHelper output, params Func<Task<CliResult>>[] steps) =>
        RunAsync(output, port, () => LoadGenerator.StartAb(port, concurrency: 1000, requests: 200_000),
            load => load.WaitForProgressAsync(40_000, LoadDeadline), steps);

    /// <summary>
    /// The original experiment over HTTPS: ab -c 1000 -n 50000 https://127.0.0.1:PORT/, without -r
    /// (a reset ends the run) and with ab's own timeout; every request is a full TLS handshake.
    /// The steps run once 20% is done.
    /// </summary>
    public static Task<Outcome> UnderAbHttpsAsync(int httpsPort, ITestOutputHelper output, params Func<Task<CliResult>>[] steps) =>
        RunAsync(output, SystemdBox.Port,
            () => LoadGenerator.StartAb(httpsPort, concurrency: 1000, requests: 50_000, https: true, countReceiveErrors: false),
            load => load.WaitForProgressAsync(10_000, LoadDeadline), steps);

    /// <summary>wrk -c 200 keep-alive for 15 s, the steps run after 3 s.</summary>
    public static Task<Outcome> UnderWrkAsync(ITestOutputHelper output, params Func<Task<CliResult>>[] steps) =>
        RunAsync(output, SystemdBox.Port, () => LoadGenerator.StartWrk(SystemdBox.Port, connections: 200, duration: TimeSpan.FromSeconds(15)),
            _ => Task.Delay(TimeSpan.FromSeconds(3)), steps);

    /// <summary>
    /// The same over https: wrk -c 200 keep-alive over TLS for 15 s, counting each response's
    /// X-App-Version; the steps run after 3 s.
    /// </summary>
    public static Task<Outcome> UnderWrkHttpsAsync(int httpsPort, ITestOutputHelper output, params Func<Task<CliResult>>[] steps) =>
        RunAsync(output, SystemdBox.Port,
            () => LoadGenerator.StartWrk(httpsPort, connections: 200, duration: TimeSpan.FromSeconds(15), https: true, countVersions: true),
            _ => Task.Delay(TimeSpan.FromSeconds(3)), steps);

    /// <summary>
    /// h2load over https as HTTP/2 (ALPN h2): C connections with M concurrent streams each
    /// sharing N requests, the steps run after 3 s. h2load does not open a new connection after
    /// GOAWAY, so it is the measure of what a client that ignores GOAWAY sees, not of the guarantee.
    /// </summary>
    public static Task<Outcome> UnderH2loadAsync(int httpsPort, int clients, int streams, int requests, ITestOutputHelper output,
        params Func<Task<CliResult>>[] steps) =>
        RunAsync(output, SystemdBox.Port, () => LoadGenerator.StartH2load(httpsPort, clients, requests, https: true, streams: streams),
            _ => Task.Delay(TimeSpan.FromSeconds(3)), steps);

    private static async Task<Outcome> RunAsync(ITestOutputHelper output, int port, Func<LoadGenerator> start,
        Func<LoadGenerator, Task> warmUp, Func<Task<CliResult>>[] steps)
    {
        var countersBefore = TcpCounters.Read();
        await using var sampler = new VersionSampler(port, TimeSpan.FromMilliseconds(5));
        await using var load = start();
        await warmUp(load);

        var results = new List<CliResult>();
        var durations = new List<TimeSpan>();
        foreach (var step in steps)
        {
            var stopwatch = Stopwatch.StartNew();
            results.Add(await step());
            durations.Add(stopwatch.Elapsed);
        }

        var result = await load.WaitForResultAsync(LoadDeadline);
        await sampler.DisposeAsync();
        output.WriteLine(result.ToString());
        output.WriteLine((TcpCounters.Read() - countersBefore).ToString());
        output.WriteLine("versions seen by the sampler: " + string.Join(", ", sampler.CountByVersion.Select(kv => $"{kv.Key}={kv.Value}")));
        for (int i = 0; i < results.Count; i++)
        {
            output.WriteLine($"step {i + 1}: exit {results[i].ExitCode} in {durations[i].TotalMilliseconds:F0} ms\n{results[i].Output}{results[i].Error}");
        }
        return new Outcome(result, sampler.CountByVersion, sampler.Errors, results, durations);
    }

    /// <summary>What every scenario asserts about the clients: nothing failed, nothing non-2xx.</summary>
    public static void AssertNothingLost(Outcome outcome)
    {
        // ab gives up on a request stalled past its 30 s timeout: that is a failure, never retried.
        Assert.True(outcome.Load.Aborted is null, $"{outcome.Load}\n{outcome.Load.RawOutput}");
        Assert.True(outcome.Load.Completed > 0, "the load generator completed no request:\n" + outcome.Load.RawOutput);
        Assert.Equal(0, outcome.Load.Failed);
        Assert.Equal(0, outcome.Load.SocketErrors);
        Assert.Equal(0, outcome.Load.Non2xx);
        Assert.Empty(outcome.SamplerErrors);
    }
}
