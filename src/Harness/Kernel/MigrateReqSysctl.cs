namespace GracefulUpgrade.Harness;

/// <summary>
/// Sets net.ipv4.tcp_migrate_req=1 for a test's duration and puts the old value back: with it,
/// connections queued on a closing listener move to the other SO_REUSEPORT listener.
/// </summary>
public sealed class MigrateReqSysctl : IDisposable
{
    private const string Path = "/proc/sys/net/ipv4/tcp_migrate_req";
    private readonly string? _previous;

    public MigrateReqSysctl()
    {
        if (!File.Exists(Path))
        {
            throw new HarnessException("this kernel has no net.ipv4.tcp_migrate_req (needs Linux 5.14 or later)");
        }
        _previous = File.ReadAllText(Path).Trim();
        File.WriteAllText(Path, "1");
    }

    public void Dispose()
    {
        if (_previous is not null)
        {
            File.WriteAllText(Path, _previous);
        }
    }
}
