using System.Diagnostics;

namespace GracefulUpgrade.Harness;

/// <summary>
/// A real systemd booted in a throwaway container (ops/systemd-box), sharing the host's
/// network, so load from the host reaches the packaged service on 127.0.0.1:8080.
/// </summary>
public sealed class SystemdBox : IAsyncDisposable
{
    public const string Unit = "graceful-upgrade-example";
    public const int Port = 8080;
    private static readonly TimeSpan CommandDeadline = TimeSpan.FromMinutes(3);

    private readonly string _tool;
    private readonly bool _owned;

    private SystemdBox(string name, string tool, bool owned)
    {
        Name = name;
        _tool = tool;
        _owned = owned;
    }

    public string Name { get; }

    /// <summary>Boots a new box, named after its purpose and this process; disposing it throws it away.</summary>
    public static async Task<SystemdBox> StartAsync(string purpose, CancellationToken cancel = default)
    {
        var box = new SystemdBox($"gue-{purpose}-{Environment.ProcessId}", Repo.Ops("systemd-box"), owned: true);
        (await Cli.RunAsync(box._tool, ["start", box.Name], CommandDeadline, cancel: cancel)).EnsureSuccess($"systemd-box start {box.Name}");
        return box;
    }

    /// <summary>A box someone else booted and throws away (e.g. a fleet host of ops/fleet/simulate.sh).</summary>
    public static SystemdBox Attach(string name) => new(name, Repo.Ops("systemd-box"), owned: false);

    /// <summary>
    /// The same root, not booted: an image build or a chroot, where no systemd runs.
    /// Run commands in it with OfflineAsync, then BootAsync to see what the next boot does.
    /// </summary>
    public static async Task<SystemdBox> CreateOfflineAsync(string purpose)
    {
        var box = new SystemdBox($"gue-{purpose}-{Environment.ProcessId}", Repo.Ops("systemd-box"), owned: true);
        (await Cli.RunAsync(box._tool, ["create", box.Name], CommandDeadline)).EnsureSuccess($"systemd-box create {box.Name}");
        return box;
    }

    /// <summary>A command in the created box while no systemd runs in it.</summary>
    public Task<CliResult> OfflineAsync(params string[] command) =>
        Cli.RunAsync(_tool, ["offline", Name, .. command], CommandDeadline);

    public async Task BootAsync() =>
        (await Cli.RunAsync(_tool, ["boot", Name], CommandDeadline)).EnsureSuccess($"systemd-box boot {Name}");

    public static string Instance(string version) => $"{Unit}@{version}.service";

    public Task<CliResult> ExecAsync(params string[] command) => ExecAsync(CommandDeadline, command);

    public Task<CliResult> ExecAsync(TimeSpan timeout, params string[] command) =>
        Cli.RunAsync(_tool, ["exec", Name, .. command], timeout);

    public Task<CliResult> ExecAsync(CancellationToken cancel, params string[] command) =>
        Cli.RunAsync(_tool, ["exec", Name, .. command], CommandDeadline, cancel: cancel);

    /// <summary>A shell command inside the box.</summary>
    public Task<CliResult> ShAsync(string script) => ExecAsync("/bin/sh", "-c", script);

    /// <summary>A long-running command inside the box, e.g. journalctl -f; the caller stops it.</summary>
    public Process Start(params string[] command) => Cli.Start(_tool, ["exec", Name, .. command]);

    /// <summary>Copies a host file to /srv in the box (not /tmp: a fresh tmpfs inside); returns its path there.</summary>
    public async Task<string> CopyInAsync(string hostFile, CancellationToken cancel = default)
    {
        var inside = DebPackage.PathInBox(hostFile);
        (await Cli.RunAsync(_tool, ["copy", Name, hostFile, inside], CommandDeadline, cancel: cancel)).EnsureSuccess("systemd-box copy");
        return inside;
    }

    /// <summary>dpkg -i of a real .deb inside the box; returns dpkg's result, success or not.</summary>
    public async Task<CliResult> DpkgInstallAsync(string deb) => await ExecAsync("dpkg", "-i", await CopyInAsync(deb));

    public async Task RebootAsync() =>
        (await Cli.RunAsync(_tool, ["reboot", Name], CommandDeadline)).EnsureSuccess($"systemd-box reboot {Name}");

    public async Task<string> SystemctlAsync(string verb, string version, CancellationToken cancel = default) =>
        (await ExecAsync(cancel, "systemctl", verb, Instance(version))).Output.Trim();

    /// <summary>One property of an instance as the manager reports it (systemctl show -p NAME --value).</summary>
    public async Task<string> PropertyAsync(string version, string property) =>
        (await ExecAsync("systemctl", "show", $"--property={property}", "--value", Instance(version))).Output.Trim();

    /// <summary>The instance's log lines (MESSAGE only); find events in it with <see cref="ServiceEvents.In"/>.</summary>
    public async Task<string> JournalAsync(string version) =>
        (await ExecAsync("journalctl", "--no-pager", "-o", "cat", "-u", Instance(version))).Output;

    /// <summary>The instance's journal as structured entries (journalctl -o json): systemd's and the service's.</summary>
    public async Task<IReadOnlyList<JournalEntry>> JournalEntriesAsync(string version) =>
        JournalEntry.ParseAll((await ExecAsync("journalctl", "--no-pager", "-o", "json", "-u", Instance(version))).Output);

    /// <summary>The service's events in the instance's journal, in order.</summary>
    public async Task<IReadOnlyList<ServiceEvent>> EventsAsync(string version) =>
        [.. (await JournalEntriesAsync(version)).Select(e => e.Event).OfType<ServiceEvent>()];

    /// <summary>Instances systemd knows as active, e.g. ["graceful-upgrade-example@2.0.0.service"].</summary>
    public async Task<IReadOnlyList<string>> ActiveInstancesAsync()
    {
        var result = await ExecAsync("systemctl", "list-units", "--state=active", "--plain", "--no-legend", $"{Unit}@*");
        return [.. result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')[0])];
    }

    /// <summary>Instances enabled to start at boot.</summary>
    public async Task<IReadOnlyList<string>> EnabledInstancesAsync()
    {
        var result = await ShAsync($"ls /etc/systemd/system/multi-user.target.wants/ | grep '^{Unit}@' || true");
        return [.. result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)];
    }

    public async ValueTask DisposeAsync()
    {
        if (_owned)
        {
            await Cli.RunAsync(_tool, ["stop", Name], CommandDeadline);
        }
    }
}
