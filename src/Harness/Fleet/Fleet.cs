namespace GracefulUpgrade.Harness;

/// <summary>
/// A fleet of systemd hosts on this machine behind HAProxy, with a signed apt repository
/// (ops/fleet/simulate.sh up/down): host hN is the box gue-fleet-hN, SSH on 127.0.0.1:220N,
/// the service on 127.0.0.1:808N. Disposing it ends exactly what `up` started.
/// </summary>
public sealed class Fleet : IAsyncDisposable
{
    /// <summary>HAProxy's frontend, in front of every host.</summary>
    public const int BalancerPort = 8080;

    private static readonly TimeSpan UpDeadline = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan DownDeadline = TimeSpan.FromMinutes(2);

    private Fleet(string dir, IReadOnlyList<FleetHost> hosts, TimeSpan bootTime)
    {
        Dir = dir;
        Hosts = hosts;
        BootTime = bootTime;
    }

    /// <summary>Where simulate.sh keeps the fleet's state: inventory, keys, repository, HAProxy's files.</summary>
    public string Dir { get; }

    public IReadOnlyList<FleetHost> Hosts { get; }

    /// <summary>Wall time of `simulate.sh up`: boxes booted, repository served, HAProxy listening.</summary>
    public TimeSpan BootTime { get; }

    /// <summary>The Ansible inventory: group app, gue_port per host, SSH and repository settings.</summary>
    public string Inventory => Path.Combine(Dir, "inventory.ini");

    /// <summary>
    /// Boots <paramref name="hosts"/> hosts and a repository holding <paramref name="debs"/>, its
    /// state in <paramref name="dir"/> (default: a new temporary directory), which a caller that
    /// may be killed can hand to `simulate.sh down` (ops/demo.sh does).
    /// </summary>
    public static async Task<Fleet> UpAsync(int hosts, IEnumerable<string> debs, CancellationToken cancel = default, string? dir = null)
    {
        dir ??= Directory.CreateTempSubdirectory("gue-fleet.").FullName;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var up = await Cli.RunAsync(Script, ["up", dir, "-n", hosts.ToString(System.Globalization.CultureInfo.InvariantCulture), "--publish", .. debs],
            UpDeadline, cancel: cancel);
        var fleet = new Fleet(dir, [.. Enumerable.Range(1, hosts).Select(i => new FleetHost(i))], clock.Elapsed);
        if (up.ExitCode != 0)
        {
            // up may have booted part of the fleet before failing: take that down too.
            await fleet.DisposeAsync();
            up.EnsureSuccess($"simulate.sh up {dir}");
        }
        return fleet;
    }

    /// <summary>The hosts' state, read in parallel.</summary>
    public async Task<IReadOnlyList<HostState>> StatesAsync() => await Task.WhenAll(Hosts.Select(h => h.StateAsync()));

    public async ValueTask DisposeAsync()
    {
        if (Directory.Exists(Dir))
        {
            (await Cli.RunAsync(Script, ["down", Dir], DownDeadline)).EnsureSuccess($"simulate.sh down {Dir}");
            Directory.Delete(Dir, recursive: true);
        }
    }

    private static string Script => Repo.Ops("fleet/simulate.sh");
}
