using System.Diagnostics;

namespace GracefulUpgrade.UpgradeDemo.Box;

/// <summary>The throwaway systemd the package is installed in, driven through ops/systemd-box.</summary>
internal sealed class SystemdBox(string tool, string name)
{
    private static readonly TimeSpan CommandDeadline = TimeSpan.FromMinutes(3);

    public string Name => name;

    public Task<CommandResult> ExecAsync(CancellationToken cancel, params string[] command) =>
        Command.RunAsync(tool, ["exec", name, .. command], CommandDeadline, cancel);

    public async Task CopyInAsync(string hostFile, string boxPath, CancellationToken cancel) =>
        (await Command.RunAsync(tool, ["copy", name, hostFile, boxPath], CommandDeadline, cancel))
            .EnsureSuccess($"systemd-box copy {name} {hostFile} {boxPath}");

    /// <summary>A long-running command inside the box, e.g. journalctl -f; the caller stops it.</summary>
    public Process Start(params string[] command) => Command.Start(tool, ["exec", name, .. command]);

    public static string Instance(string version) => $"graceful-upgrade-example@{version}.service";

    public async Task<string> IsActiveAsync(string version, CancellationToken cancel) =>
        (await ExecAsync(cancel, "systemctl", "is-active", Instance(version))).Output.Trim();
}
