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
    public static async Task<TimeSpan> LongestWaitAsync(int port, int pid)
    {
        // "connected": every state but LISTEN and CLOSED. A connection still in its handshake
        // (SYN-SENT) has received nothing ever: the kernel gives it a lastrcv of its uptime, so
        // it counts as waiting longer than any bound until it connects.
        var ss = await Cli.RunAsync("ss", ["-HtniOp", "state", "connected", $"( dport = :{port} )"], CommandTimeout);
        if (ss.ExitCode != 0)
        {
            throw new HarnessException($"ss failed ({ss.ExitCode}): {ss.Error}");
        }
        return LongestWait(ss.Output, pid);
    }

    /// <summary>The largest lastrcv on the lines of ss -HtniOp output that belong to <paramref name="pid"/>.</summary>
    internal static TimeSpan LongestWait(string ssOutput, int pid) =>
        TimeSpan.FromMilliseconds(ssOutput.Split('\n')
            .Where(line => line.Contains($",pid={pid},", StringComparison.Ordinal))
            .Select(line => LastReceive().Match(line) is { Success: true } match
                ? long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture)
                : 0)
            .DefaultIfEmpty(0)
            .Max());

    [GeneratedRegex(@"\blastrcv:(\d+)\b")]
    private static partial Regex LastReceive();
}
