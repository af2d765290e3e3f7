using System.Globalization;
using System.Text.RegularExpressions;

namespace GracefulUpgrade.Harness;

/// <summary>
/// How long a load generator's requests to a port have been waiting, from the kernel's view
/// of its sockets (ss -i): "lastrcv" is the time since a connection last received anything,
/// counted from the handshake before its first byte. A connection that carries one request
/// (ab without -k) or one at a time (wrk, which sends the next as soon as the last is
/// answered) therefore shows how long its request has gone unanswered.
/// </summary>
internal static partial class InFlight
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The longest such wait among <paramref name="pid"/>'s connections to <paramref name="port"/>; zero when it has none.</summary>
    public static async Task<TimeSpan> LongestWaitAsync(int port, int pid) =>
        // "connected": every state but LISTEN and CLOSED. A connection still in its handshake
        // (SYN-SENT) has received nothing ever: the kernel gives it a lastrcv of its uptime, so
        // it counts as waiting longer than any bound until it connects.
        LongestWait(await ConnectionsAsync(port, pid, "connected"));

    /// <summary>
    /// ss's line for each of <paramref name="pid"/>'s TCP connections to <paramref name="port"/>
    /// in <paramref name="state"/> (an ss state filter), with its tcp_info on the same line.
    /// With a single state ss leaves out the State column: the line begins Recv-Q Send-Q Local Peer.
    /// </summary>
    public static async Task<IReadOnlyList<string>> ConnectionsAsync(int port, int pid, string state)
    {
        var ss = await Cli.RunAsync("ss", ["-HtniOp", "state", state, $"( dport = :{port} )"], CommandTimeout);
        if (ss.ExitCode != 0)
        {
            throw new HarnessException($"ss failed ({ss.ExitCode}): {ss.Error}");
        }
        return [.. ss.Output.Split('\n').Where(line => line.Contains($",pid={pid},", StringComparison.Ordinal))];
    }

    /// <summary>The largest lastrcv on ss -HtniOp lines; zero when there are none.</summary>
    internal static TimeSpan LongestWait(IEnumerable<string> connections) =>
        TimeSpan.FromMilliseconds(connections
            .Select(line => LastReceive().Match(line) is { Success: true } match
                ? long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture)
                : 0)
            .DefaultIfEmpty(0)
            .Max());

    [GeneratedRegex(@"\blastrcv:(\d+)\b")]
    private static partial Regex LastReceive();
}
