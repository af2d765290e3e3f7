using GracefulUpgrade.TestSupport;
using Xunit.Abstractions;

namespace GracefulUpgrade.IntegrationTests;

/// <summary>
/// Reload in place between two real processes of the published binary, without systemd: a
/// real AF_UNIX datagram socket stands in for NOTIFY_SOCKET, the test sends the SIGHUP that
/// the unit's ExecReload= script sends, and reads the answer file the script waits for.
/// </summary>
[Collection(BinariesCollection.Name)]
public sealed class ReloadHandshakeTests(PublishedBinaries binaries, ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly bool _sigHupDelivered = RequireSigHupDelivered();
    private const int SigHup = 1;
    private readonly string _config = Path.Combine(Directory.CreateTempSubdirectory("reload-").FullName, "config.json");
    private readonly List<int> _successors = [];

    // The test-only fault file the faulty build reads (Hosting/TestFaults.cs).
    private string FaultFile => Path.Combine(Path.GetDirectoryName(_config)!, "test-fault");

    [Fact]
    public async Task ReloadMakesANewProcessMainBeforeTheOldOneDrainsAndTheNewOneReadsTheConfigAnew()
    {
        File.WriteAllText(_config, """{ "Service": { "DelayEndpoint": { "Enabled": false } } }""");
        int port = ServiceProcess.FreePort();
        await using var old = await StartAsync(port);
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        Assert.Equal(404, (int)(await client.GetAsync("/delay?ms=1")).StatusCode);

        File.WriteAllText(_config, """{ "Service": { "DelayEndpoint": { "Enabled": true } } }""");
        Cli.Signal(old.Pid, SigHup);
        await WaitUntilAsync(() => old.Notify.Received.Any(m => m.StartsWith("MAINPID=", StringComparison.Ordinal)), "MAINPID= on NOTIFY_SOCKET");
        int successor = int.Parse(old.Notify.Received.First(m => m.StartsWith("MAINPID=", StringComparison.Ordinal))["MAINPID=".Length..]);
        _successors.Add(successor);

        Assert.NotEqual(old.Pid, successor);
        Assert.Equal($"ready {successor}", (await AnswerAsync(old.Pid)).Trim());
        await WaitUntilAsync(() => old.HasExited, "the old process exited after draining");
        // The successor sent no READY=1 of its own (the unit was running): the old process's
        // READY=1 at its start, then MAINPID=, and nothing from it after handing over.
        Assert.Equal(["READY=1", $"MAINPID={successor}"], old.Notify.StateChanges);
        Assert.Equal(200, (int)(await client.GetAsync("/delay?ms=1")).StatusCode);
        Assert.Contains($"\"pid\":{successor}", await client.GetStringAsync("/version"));

        var log = old.Log;
        output.WriteLine(log);
        // The old process's own events in order; the successor's "taken over" interleaves with them.
        JournalEvents.AssertInOrder(log, ServiceEvent.ReloadRequested, ServiceEvent.SuccessorReady, ServiceEvent.ListenerClosed, ServiceEvent.PredecessorDrained);
        JournalEvents.AssertHas(log, ServiceEvent.TookOver);
        await StopSuccessorAndAssertOldExitedCleanlyAsync(old, successor);
    }

    [Fact]
    public async Task SuccessorWithAnInvalidSettingFailsTheReloadNamingItAndTheOldProcessServesOn()
    {
        File.WriteAllText(_config, "{}");
        int port = ServiceProcess.FreePort();
        await using var old = await StartAsync(port);

        File.WriteAllText(_config, """{ "Service": { "Backlog": 1 } }""");
        Cli.Signal(old.Pid, SigHup);
        var answer = await AnswerAsync(old.Pid);

        Assert.StartsWith("failed ", answer);
        Assert.Contains("status 78", answer);
        Assert.False(old.HasExited);
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        Assert.Contains($"\"pid\":{old.Pid}", await client.GetStringAsync("/version"));
        Assert.Equal(["READY=1"], old.Notify.StateChanges);
        var log = old.Log;
        output.WriteLine(log);
        JournalEvents.AssertHas(log, ServiceEvent.ReloadFailed);
        Assert.Contains("Service.Backlog", log); // the successor's own line, on the same stream

        // Fixed, the next reload succeeds.
        File.WriteAllText(_config, "{}");
        Cli.Signal(old.Pid, SigHup);
        var ready = await AnswerAsync(old.Pid);
        Assert.StartsWith("ready ", ready);
        int successor = int.Parse(ready["ready ".Length..].Trim());
        _successors.Add(successor);
        await WaitUntilAsync(() => old.HasExited, "the old process exited after draining");
        await StopSuccessorAndAssertOldExitedCleanlyAsync(old, successor);
    }

    [Fact]
    public async Task StopDuringAReloadStopsTheStartingSuccessorToo()
    {
        File.WriteAllText(_config, "{}");
        int port = ServiceProcess.FreePort();
        await using var old = await StartAsync(port, binaries.Faulty);

        // The successor hangs in its start (the fault comes from a file it reads, not from the
        // environment it inherits): a stop arrives in the middle of the reload.
        File.WriteAllText(FaultFile, "hang");
        Cli.Signal(old.Pid, SigHup);
        await WaitUntilAsync(() => ServiceEvents.In(old.Log).Contains(ServiceEvent.ReloadRequested), "the successor started");
        old.Terminate();
        Assert.Equal(0, await old.WaitForExitAsync(Deadline));

        var log = old.Log;
        output.WriteLine(log);
        JournalEvents.AssertHas(log, ServiceEvent.StoppingStartingSuccessor);
        Assert.StartsWith("failed ", await AnswerAsync(old.Pid));
        int successor = int.Parse(System.Text.RegularExpressions.Regex.Match(log, @"started successor pid (\d+)").Groups[1].Value);
        Assert.False(IsAlive(successor), $"successor pid {successor} outlived its predecessor's stop");
    }

    /// <summary>
    /// SIGHUP asks for the reload. A process started with SIGHUP ignored (under nohup, say) hands
    /// that on to its children, and the runtime keeps it ignored: every reload here would then
    /// time out with nothing to say why (seen when a CI-style run was started with nohup).
    /// </summary>
    private static bool RequireSigHupDelivered()
    {
        var ignored = File.ReadLines("/proc/self/status").First(line => line.StartsWith("SigIgn:", StringComparison.Ordinal));
        if ((Convert.ToUInt64(ignored["SigIgn:".Length..].Trim(), 16) & (1UL << (SigHup - 1))) != 0)
        {
            throw new InvalidOperationException("SIGHUP is ignored in the test process (started under nohup?), so the services it starts ignore the reload signal too; run the tests without it");
        }
        return true;
    }

    private Task<ServiceProcess> StartAsync(int port, string? binary = null)
    {
        var service = ServiceProcess.Start(binary ?? binaries.V1, port, [], new Dictionary<string, string>
        {
            ["GRACEFUL_UPGRADE_EXAMPLE_CONFIG"] = _config,
            ["GUE_TEST_FAULT_FILE"] = FaultFile,
        });
        return service.WaitForReadyAsync(Deadline).ContinueWith(t => { t.GetAwaiter().GetResult(); return service; });
    }

    private static async Task<string> AnswerAsync(int mainPid)
    {
        var path = Path.Combine(Path.GetTempPath(), $"graceful-upgrade-example-reload.{mainPid}");
        await WaitUntilAsync(() => File.Exists(path), $"the reload answer {path}");
        var answer = File.ReadAllText(path);
        File.Delete(path);
        return answer;
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        using var deadline = new CancellationTokenSource(Deadline);
        while (!condition())
        {
            if (deadline.IsCancellationRequested)
            {
                throw new TimeoutException($"{what}: not within {Deadline}");
            }
            await Task.Delay(20);
        }
    }

    private static bool IsAlive(int pid) => Directory.Exists($"/proc/{pid}") && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ");

    /// <summary>
    /// The old process's exit status can only be read once its output pipes are closed, and the
    /// successor inherited them: stop the successor first.
    /// </summary>
    private static async Task StopSuccessorAndAssertOldExitedCleanlyAsync(ServiceProcess old, int successor)
    {
        Cli.Signal(successor, Cli.SigTerm);
        Assert.Equal(0, await old.WaitForExitAsync(Deadline));
    }

    public void Dispose()
    {
        foreach (var pid in _successors.Where(IsAlive))
        {
            Cli.Signal(pid, Cli.SigKill);
        }
        Directory.Delete(Path.GetDirectoryName(_config)!, recursive: true);
    }
}
