using System.Globalization;

namespace GracefulUpgrade.Harness;

/// <summary>
/// One simulated host of a <see cref="Fleet"/>: its inventory name (h1, h2, ...), its box, the
/// port its service listens on. Its state is read through the box, not over SSH: the same
/// systemd and dpkg, without the SSH round trips.
/// </summary>
public sealed class FleetHost(int index)
{
    public string Name { get; } = $"h{index}";

    public int Port { get; } = 8080 + index;

    public SystemdBox Box { get; } = SystemdBox.Attach($"gue-fleet-h{index}");

    /// <summary>The package version dpkg has installed and configured, the active and enabled instances, their MainPIDs.</summary>
    public async Task<HostState> StateAsync()
    {
        var package = await Box.ExecAsync("dpkg-query", "-W", "-f=${Version} ${db:Status-Abbrev}", SystemdBox.Unit);
        var fields = package.ExitCode == 0 ? package.Output.Trim().Split(' ', 2) : [];
        var active = await Box.ActiveInstancesAsync();
        var pids = new Dictionary<string, int>();
        foreach (var unit in active)
        {
            var pid = (await Box.ExecAsync("systemctl", "show", "--property=MainPID", "--value", unit)).Output.Trim();
            pids[unit] = int.Parse(pid, CultureInfo.InvariantCulture);
        }
        return new HostState(Name, fields.ElementAtOrDefault(0), fields.ElementAtOrDefault(1)?.Trim(), active,
            await Box.EnabledInstancesAsync(), pids);
    }

    /// <summary>
    /// This host's handover from <paramref name="from"/> to <paramref name="to"/>, from both
    /// instances' journals; null if it has not happened (yet).
    /// </summary>
    public async Task<HostHandover?> HandoverAsync(string from, string to, RunClock clock) =>
        HostHandover.Find(Name, [.. await Box.JournalEntriesAsync(from), .. await Box.JournalEntriesAsync(to)], from, to, clock);

    /// <summary>Makes the test-only build (published with --test-faults) fail its self-check on this host.</summary>
    public async Task SetTestFaultAsync(string? fault)
    {
        var file = "/etc/graceful-upgrade-example/test-fault";
        (await Box.ShAsync(fault is null ? $"rm -f {file}" : $"printf '%s\\n' '{fault}' > {file}")).EnsureSuccess($"test fault on {Name}");
    }
}
