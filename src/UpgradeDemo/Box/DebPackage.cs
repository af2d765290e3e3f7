namespace GracefulUpgrade.UpgradeDemo.Box;

/// <summary>A .deb on the host: its version is the instance name (graceful-upgrade-example@VERSION) and X-App-Version.</summary>
internal static class DebPackage
{
    public static async Task<string> VersionAsync(string deb, CancellationToken cancel)
    {
        var result = (await Command.RunAsync("dpkg-deb", ["--field", deb, "Version"], TimeSpan.FromSeconds(30), cancel))
            .EnsureSuccess($"dpkg-deb --field {deb} Version");
        return result.Output.Trim();
    }

    /// <summary>Where the demo puts it inside the box: /srv, not /tmp (a fresh tmpfs inside).</summary>
    public static string PathInBox(string deb) => "/srv/" + Path.GetFileName(deb);
}
