using System.Text;

namespace GracefulUpgrade.Harness;

/// <summary>
/// Watches a running ab for the one failure its summary cannot explain: a request that gets
/// no answer, which ends the run after ab's 30 s timeout once every other request is done.
/// When ab has had the same few connections (at most <see cref="FewConnections"/>) open for
/// <see cref="Quiet"/>, it takes one snapshot of where those connections are: every socket of
/// the port (listeners with their accept queues, both ends of each connection, the owning
/// processes) and the kernel's handover counters. The snapshot is added to ab's output, so a
/// failed test shows it. It reads state only; it never touches a connection.
/// </summary>
internal sealed class StallWatch(int port, int abPid)
{
    public const int FewConnections = 10;
    public static readonly TimeSpan Quiet = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Runs until <paramref name="stop"/>; returns the snapshot, or null if no stall was seen.</summary>
    public async Task<string?> WatchAsync(CancellationToken stop)
    {
        string? previous = null;
        var quietSince = TimeSpan.Zero;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            while (!stop.IsCancellationRequested)
            {
                await Task.Delay(Interval, stop);
                var mine = await AbConnectionsAsync();
                if (mine.Count is 0 or > FewConnections || string.Join('\n', mine) != previous)
                {
                    previous = mine.Count is 0 or > FewConnections ? null : string.Join('\n', mine);
                    quietSince = clock.Elapsed;
                    continue;
                }
                if (clock.Elapsed - quietSince >= Quiet)
                {
                    return await SnapshotAsync(mine.Count);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        return null;
    }

    /// <summary>ab's established connections to the port, one "local peer" pair each; none when ss failed.</summary>
    private async Task<List<string>> AbConnectionsAsync()
    {
        try
        {
            return [.. (await InFlight.ConnectionsAsync(port, abPid, "established"))
                .Select(line => string.Join(' ', line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(2).Take(2)))];
        }
        catch (HarnessException)
        {
            // A diagnosis must never fail the run it watches: this poll sees nothing.
            return [];
        }
    }

    private async Task<string> SnapshotAsync(int connections)
    {
        var report = new StringBuilder();
        report.AppendLine($"--- stall: ab has had the same {connections} connection(s) to port {port} open for {Quiet.TotalSeconds:F0} s; where they are:");
        foreach (var (file, args) in new (string, string[])[]
        {
            ("ss", ["-tanpoie", "state", "all", "exclude", "time-wait", $"( sport = :{port} or dport = :{port} )"]),
            ("sh", ["-c", "nstat -az | grep -E 'TcpExtTCPMigrateReq|TcpExtListen|TcpExtTCPAbortOn|TcpExtTCPSynRetrans|TcpExtTCPReqQFullDrop'"]),
            ("sh", ["-c", "ps -eo pid,ppid,etimes,stat,cmd | grep -F graceful-upgrade-example | grep -v grep"]),
        })
        {
            var result = await Cli.RunAsync(file, args, CommandTimeout);
            report.AppendLine($"$ {file} {string.Join(' ', args)}");
            // ss pads its columns to a terminal's width: trailing blanks only.
            foreach (var line in (result.Output + result.Error).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                report.AppendLine(line.TrimEnd());
            }
        }
        return report.ToString();
    }
}
