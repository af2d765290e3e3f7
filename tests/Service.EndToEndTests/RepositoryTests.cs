using System.Security.Cryptography;
using GracefulUpgrade.TestSupport;
using Xunit.Abstractions;

namespace GracefulUpgrade.EndToEndTests;

/// <summary>
/// The signed apt repository of ops/repo/publish.sh, as a host uses it: apt in a real systemd
/// installs, upgrades and downgrades from it over HTTP, and refuses one signed by a key it does
/// not trust. Publishing what the repository already holds, or a damaged file, fails with one
/// line and leaves the repository byte for byte as it was.
/// </summary>
[Collection(PackagesCollection.Name)]
public sealed class RepositoryTests(Packages packages, ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly string V1 = Artifacts.V1, V2 = Artifacts.V2, V3 = Artifacts.V3;
    private const string Keyring = "/usr/share/keyrings/" + AptRepository.KeyringName;
    private const string SourcesList = "/etc/apt/sources.list.d/graceful-upgrade-example.list";

    private readonly AptRepository _repos = AptRepository.Create();
    private (string Home, string Fingerprint) _key;

    public async Task InitializeAsync()
    {
        _key = await _repos.NewKeyAsync("main");
        Log(await _repos.PublishAsync("main", _key, packages[V1], packages[V2])).EnsureSuccess("publish 1.0.0 and 2.0.0");
    }

    public async Task DisposeAsync() => await _repos.DisposeAsync();

    [Fact]
    public async Task HostInstallsUpgradesAndDowngradesFromTheRepositoryAndRefusesOneSignedByAnotherKey()
    {
        var otherKey = await _repos.NewKeyAsync("other");
        Log(await _repos.PublishAsync("other", otherKey, packages[V1])).EnsureSuccess("publish 1.0.0 with another key");
        await _repos.ServeAsync();
        await using var box = await SystemdBox.StartAsync("apt-repo");
        // Only our repository: the box must not reach for the host's mirrors.
        (await box.ShAsync("rm -f /etc/apt/sources.list /etc/apt/sources.list.d/*")).EnsureSuccess("remove the other apt sources");
        (await box.ExecAsync("install", "-m", "0644", await box.CopyInAsync(Path.Combine(_repos.Dir("main"), AptRepository.KeyringName)), Keyring))
            .EnsureSuccess("install the keyring");
        await UseSourceAsync(box, "main");

        Log(await box.ExecAsync("apt-get", "update")).EnsureSuccess("apt-get update");
        var policy = Log(await box.ExecAsync("apt-cache", "madison", SystemdBox.Unit)).EnsureSuccess("apt-cache madison");
        Assert.Equal([V1, V2], policy.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('|')[1].Trim()).Order());

        Log(await AptInstallAsync(box, V1)).EnsureSuccess("apt-get install =1.0.0");
        await AssertServingAsync(box, V1);
        Log(await AptInstallAsync(box, V2)).EnsureSuccess("apt-get install =2.0.0");
        await AssertServingAsync(box, V2);
        // Rolling back is installing the older version, which the repository still has.
        Log(await AptInstallAsync(box, V1, "--allow-downgrades")).EnsureSuccess("apt-get install --allow-downgrades =1.0.0");
        await AssertServingAsync(box, V1);

        await UseSourceAsync(box, "other");
        var refused = Log(await box.ExecAsync("apt-get", "update"));
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("NO_PUBKEY " + otherKey.Fingerprint[^16..], refused.Output + refused.Error);
        await AssertServingAsync(box, V1);
    }

    [Fact]
    public async Task PublishingAVersionAgainFailsAndLeavesTheRepositoryAsItWas()
    {
        var before = await _repos.TreeAsync("main");

        var again = Log(await _repos.PublishAsync("main", _key, packages[V3], packages[V2]));

        Assert.NotEqual(0, again.ExitCode);
        Assert.Equal($"publish.sh: {packages[V2]}: {SystemdBox.Unit} {V2} (amd64) is already in the repository {_repos.Dir("main")}\n", again.Error);
        Assert.Equal(before, await _repos.TreeAsync("main"));
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("bytes changed")]
    [InlineData("not a deb")]
    public async Task PublishingADamagedFileFailsAndLeavesTheRepositoryAsItWas(string damage)
    {
        var deb = Path.Combine(_repos.Dir("input"), $"{SystemdBox.Unit}_{V3}_amd64.deb");
        Directory.CreateDirectory(Path.GetDirectoryName(deb)!);
        var bytes = await File.ReadAllBytesAsync(packages[V3]);
        switch (damage)
        {
            case "truncated":
                bytes = bytes[..(bytes.Length / 2)];
                break;
            case "bytes changed":
                // Inside the compressed payload, past the control member: only a full read notices.
                Array.Fill(bytes, (byte)0xff, bytes.Length * 2 / 3, 16);
                break;
            default:
                bytes = "<html>404 Not Found</html>\n"u8.ToArray();
                break;
        }
        await File.WriteAllBytesAsync(deb, bytes);
        var before = await _repos.TreeAsync("main");

        var publish = Log(await _repos.PublishAsync("main", _key, packages[V3], deb));

        Assert.NotEqual(0, publish.ExitCode);
        Assert.StartsWith($"publish.sh: {deb}: corrupt or not a .deb (", publish.Error);
        Assert.Single(publish.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(before, await _repos.TreeAsync("main"));
    }

    [Fact]
    public async Task PublishingWithAKeyTheClientsDoNotTrustFailsAndLeavesTheRepositoryAsItWas()
    {
        var otherKey = await _repos.NewKeyAsync("rotated");
        var before = await _repos.TreeAsync("main");

        var publish = Log(await _repos.PublishAsync("main", otherKey, packages[V3]));

        Assert.NotEqual(0, publish.ExitCode);
        Assert.Contains($"{AptRepository.KeyringName}: no usable key: the repository's clients trust {_key.Fingerprint}", publish.Error);
        Assert.Equal(before, await _repos.TreeAsync("main"));
    }

    [Fact]
    public async Task PublishingAddsAVersionAndKeepsTheOthersAndThePreviousIndexesByHash()
    {
        var dists = Path.Combine(_repos.Dir("main"), "dists", AptRepository.Suite);
        var previous = Sha256Entries(await File.ReadAllTextAsync(Path.Combine(dists, "Release")));

        Log(await _repos.PublishAsync("main", _key, packages[V3])).EnsureSuccess("publish 3.0.0");

        var index = await File.ReadAllTextAsync(Path.Combine(dists, "main", "binary-amd64", "Packages"));
        Assert.Equal([V1, V2, V3], index.Split('\n').Where(l => l.StartsWith("Version: ", StringComparison.Ordinal)).Select(l => l[9..]).Order());
        // An apt client that read the previous InRelease just before the switch still finds the
        // Packages files it names, by their hash.
        Assert.Equal(["main/binary-amd64/Packages", "main/binary-amd64/Packages.gz"], previous.Select(e => e.Path).Order());
        foreach (var (hash, path) in previous)
        {
            var byHash = Path.Combine(dists, Path.GetDirectoryName(path)!, "by-hash", "SHA256", hash);
            Assert.Equal(hash, Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(byHash))));
        }
        // The InRelease clients fetch verifies against the keyring they install.
        (await Cli.RunAsync("gpgv", ["--keyring", Path.Combine(_repos.Dir("main"), AptRepository.KeyringName),
            Path.Combine(_repos.Dir("main"), "dists", AptRepository.Suite, "InRelease")], TimeSpan.FromSeconds(30))).EnsureSuccess("gpgv InRelease");
    }

    /// <summary>The SHA256 section of a Release file: each index's hash and path.</summary>
    private static List<(string Hash, string Path)> Sha256Entries(string release) =>
        [.. release.Split('\n').SkipWhile(l => l != "SHA256:").Skip(1).TakeWhile(l => l.StartsWith(' '))
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Select(f => (f[0], f[2]))];

    private async Task UseSourceAsync(SystemdBox box, string name)
    {
        var line = $"deb [signed-by={Keyring}] http://127.0.0.1:{_repos.Port}/{name}/ {AptRepository.Suite} main";
        (await box.ShAsync($"echo '{line}' > {SourcesList}")).EnsureSuccess("write the apt source");
    }

    private static Task<CliResult> AptInstallAsync(SystemdBox box, string version, params string[] options) =>
        box.ExecAsync(["env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "--no-install-recommends", .. options,
            $"{SystemdBox.Unit}={version}"]);

    private static async Task AssertServingAsync(SystemdBox box, string version)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var response = await client.GetAsync($"http://127.0.0.1:{SystemdBox.Port}/");
        Assert.Equal(version, Assert.Single(response.Headers.GetValues("X-App-Version")));
        await BoxAssert.OnlyInstanceAsync(box, version);
    }

    private CliResult Log(CliResult result)
    {
        output.WriteLine($"exit {result.ExitCode}\n{result.Output}{result.Error}");
        return result;
    }
}
