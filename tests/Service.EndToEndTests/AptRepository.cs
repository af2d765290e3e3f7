using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace GracefulUpgrade.EndToEndTests;

/// <summary>
/// Signed apt repositories made by ops/repo/publish.sh in a temporary directory, each with its
/// own GnuPG home and key (ops/repo/new-key.sh), served over plain HTTP on 127.0.0.1 by
/// python3 -m http.server, as an operator's web server would.
/// </summary>
public sealed class AptRepository : IAsyncDisposable
{
    public const string Suite = "stable";
    public const string KeyringName = "graceful-upgrade-example-archive-keyring.gpg";
    private static readonly TimeSpan ScriptDeadline = TimeSpan.FromMinutes(2);

    private readonly string _root;
    private readonly List<string> _gnupgHomes = [];
    private Process? _server;

    private AptRepository(string root) => _root = root;

    /// <summary>A fresh, empty place for repositories; nothing is served yet.</summary>
    public static AptRepository Create() => new(Directory.CreateTempSubdirectory("gue-apt-").FullName);

    /// <summary>The directory of the repository called <paramref name="name"/> (it may not exist yet).</summary>
    public string Dir(string name) => Path.Combine(_root, name);

    /// <summary>The port the server listens on, once <see cref="ServeAsync"/> has run.</summary>
    public int Port { get; private set; }

    /// <summary>A new GnuPG home holding one new signing key; returns the home and the key's fingerprint.</summary>
    public async Task<(string Home, string Fingerprint)> NewKeyAsync(string name)
    {
        var home = Path.Combine(_root, "gnupg-" + name);
        _gnupgHomes.Add(home);
        var result = (await Cli.RunAsync(Repo.Ops("repo/new-key.sh"), [home, $"{name} test repository"], ScriptDeadline))
            .EnsureSuccess($"new-key.sh {home}");
        return (home, result.Output.Trim());
    }

    /// <summary>ops/repo/publish.sh into the named repository with the given key; success or not.</summary>
    public Task<CliResult> PublishAsync(string name, (string Home, string Fingerprint) key, params string[] debs) =>
        Cli.RunAsync(Repo.Ops("repo/publish.sh"), [Dir(name), .. debs], ScriptDeadline,
            new Dictionary<string, string> { ["GNUPGHOME"] = key.Home, ["GUE_REPO_SIGNING_KEY"] = key.Fingerprint });

    /// <summary>
    /// Every entry of a repository's tree: type, path, symlink target, mode, and each file's
    /// SHA-256. Two equal listings mean nothing was added, removed, renamed or rewritten.
    /// </summary>
    public async Task<string> TreeAsync(string name)
    {
        var dir = Dir(name).Replace("'", "'\\''", StringComparison.Ordinal);
        return (await Cli.ShAsync(
            $"cd '{dir}' && LC_ALL=C find . -printf '%y %p %l %m\\n' | LC_ALL=C sort && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum",
            ScriptDeadline)).EnsureSuccess($"listing {dir}").Output;
    }

    /// <summary>Serves every repository here at http://127.0.0.1:PORT/NAME/ on a free port.</summary>
    public async Task ServeAsync()
    {
        // A port the kernel has just handed out and taken back: free now, and only loopback.
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            Port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        _server = Cli.Start("python3", ["-m", "http.server", "--bind", "127.0.0.1", "--directory", _root, Port.ToString()]);

        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var response = await client.GetAsync($"http://127.0.0.1:{Port}/");
                return;
            }
            catch (HttpRequestException) when (deadline.Elapsed < TimeSpan.FromSeconds(20) && !_server.HasExited)
            {
                await Task.Delay(100);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await Cli.StopAsync(_server);
            _server.Dispose();
        }
        // The gpg-agent each key's home started: only that home's, through its own socket.
        foreach (var home in _gnupgHomes)
        {
            await Cli.RunAsync("gpgconf", ["--homedir", home, "--kill", "gpg-agent"], TimeSpan.FromSeconds(30));
        }
        Directory.Delete(_root, recursive: true);
    }
}
