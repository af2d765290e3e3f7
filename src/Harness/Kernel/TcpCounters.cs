namespace GracefulUpgrade.Harness;

/// <summary>
/// The kernel's TCP counters that tell how a handover went for connections still queued or
/// half-open on the stopping instance (/proc/net/netstat, TcpExt; the box shares this network
/// namespace). Counters are machine-wide: a delta covers everything on the machine meanwhile.
/// </summary>
public sealed record TcpCounters(long MigrateReqSuccess, long MigrateReqFailure, long SynRetrans)
{
    public static TcpCounters Read()
    {
        var lines = File.ReadAllLines("/proc/net/netstat");
        for (int i = 0; i + 1 < lines.Length; i++)
        {
            if (!lines[i].StartsWith("TcpExt:", StringComparison.Ordinal))
            {
                continue;
            }
            var names = lines[i].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var values = lines[i + 1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            long Value(string name)
            {
                int index = Array.IndexOf(names, name);
                return index < 0 ? 0 : long.Parse(values[index]);
            }
            return new TcpCounters(Value("TCPMigrateReqSuccess"), Value("TCPMigrateReqFailure"), Value("TCPSynRetrans"));
        }
        throw new HarnessException("no TcpExt counters in /proc/net/netstat");
    }

    public static TcpCounters operator -(TcpCounters after, TcpCounters before) =>
        new(after.MigrateReqSuccess - before.MigrateReqSuccess, after.MigrateReqFailure - before.MigrateReqFailure,
            after.SynRetrans - before.SynRetrans);

    public override string ToString() =>
        $"kernel: {MigrateReqSuccess} queued connection(s) migrated, {MigrateReqFailure} migration failure(s), {SynRetrans} SYN/SYN-ACK retransmission(s)";
}
