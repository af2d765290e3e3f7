namespace GracefulUpgrade.TestSupport;

/// <summary>
/// A real systemd booted in a throwaway container (ops/systemd-box), sharing the host's
/// network, so load from the host reaches the packaged service on 127.0.0.1:8080.
/// </summary>
public sealed class SystemdBox : IAsyncDisposable
{
    public const string Unit = "graceful-upgrade-example";
    public const int Port = 8080;
    private static readonly string Tool = Path.Combine(Repo.Root, "ops", "systemd-box");
    private static readonly TimeSpan CommandDeadline = TimeSpan.FromMinutes(3);

    private SystemdBox(string name) => Name = name;

    public string Name { get; }

    public static async Task<SystemdBox> StartAsync(string purpose)
    {
        var box = new SystemdBox($"gue-{purpose}-{Environment.ProcessId}");
        (await Cli.RunAsync(Tool, ["start", box.Name], CommandDeadline)).EnsureSuccess($"systemd-box start {box.Name}");
        return box;
    }

    /// <summary>
    /// The same root, not booted: an image build or a chroot, where no systemd runs.
    /// Run commands in it with OfflineAsync, then BootAsync to see what the next boot does.
    /// </summary>
    public static async Task<SystemdBox> CreateOfflineAsync(string purpose)
    {
        var box = new SystemdBox($"gue-{purpose}-{Environment.ProcessId}");
        (await Cli.RunAsync(Tool, ["create", box.Name], CommandDeadline)).EnsureSuccess($"systemd-box create {box.Name}");
        return box;
    }

    /// <summary>A command in the created box while no systemd runs in it.</summary>
    public Task<CliResult> OfflineAsync(params string[] command) =>
        Cli.RunAsync(Tool, ["offline", Name, .. command], CommandDeadline);

    public async Task BootAsync() =>
        (await Cli.RunAsync(Tool, ["boot", Name], CommandDeadline)).EnsureSuccess($"systemd-box boot {Name}");

    public Task<CliResult> ExecAsync(params string[] command) => ExecAsync(CommandDeadline, command);

    public Task<CliResult> ExecAsync(TimeSpan timeout, params string[] command) =>
        Cli.RunAsync(Tool, ["exec", Name, .. command], timeout);

    /// <summary>A shell command inside the box.</summary>
    public Task<CliResult> ShAsync(string script) => ExecAsync("/bin/sh", "-c", script);

    public async Task<string> CopyInAsync(string hostFile)
    {
        var inside = "/srv/" + Path.GetFileName(hostFile);
        (await Cli.RunAsync(Tool, ["copy", Name, hostFile, inside], CommandDeadline)).EnsureSuccess("systemd-box copy");
        return inside;
    }

    /// <summary>dpkg -i of a real .deb inside the box; returns dpkg's result, success or not.</summary>
    public async Task<CliResult> DpkgInstallAsync(string deb) => await ExecAsync("dpkg", "-i", await CopyInAsync(deb));

    public async Task RebootAsync() =>
        (await Cli.RunAsync(Tool, ["reboot", Name], CommandDeadline)).EnsureSuccess($"systemd-box reboot {Name}");

    public static string Instance(string version) => $"{Unit}@{version}.service";

    public async Task<string> SystemctlAsync(string verb, string version) =>
        (await ExecAsync("systemctl", verb, Instance(version))).Output.Trim();

    /// <summary>One property of an instance as the manager reports it (systemctl show -p NAME --value).</summary>
    public async Task<string> PropertyAsync(string version, string property) =>
        (await ExecAsync("systemctl", "show", $"--property={property}", "--value", Instance(version))).Output.Trim();

    public async Task<string> JournalAsync(string version) =>
        (await ExecAsync("journalctl", "--no-pager", "-o", "cat", "-u", Instance(version))).Output;

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

    public async ValueTask DisposeAsync() =>
        await Cli.RunAsync(Tool, ["stop", Name], CommandDeadline);
}
