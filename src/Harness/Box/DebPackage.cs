namespace GracefulUpgrade.Harness;

/// <summary>A .deb on the host: its version is the instance name (graceful-upgrade-example@VERSION) and X-App-Version.</summary>
public static class DebPackage
{
    public static async Task<string> VersionAsync(string deb, CancellationToken cancel = default) =>
        (await Cli.RunAsync("dpkg-deb", ["--field", deb, "Version"], TimeSpan.FromSeconds(30), cancel: cancel))
            .EnsureSuccess($"dpkg-deb --field {deb} Version").Output.Trim();

    /// <summary>Where a package goes inside a box: /srv, not /tmp (a fresh tmpfs inside).</summary>
    public static string PathInBox(string deb) => "/srv/" + Path.GetFileName(deb);
}
