using System.Globalization;

namespace GracefulUpgrade.UpgradeDemo;

/// <summary>The command line, checked before anything starts: a bad value names its option.</summary>
internal sealed record DemoOptions(string Box, string FromDeb, string ToDeb, int Requests, int Concurrency, string Chart, string BoxTool)
{
    public const string Usage = """
        usage: UpgradeDemo --box NAME --from OLD.deb --to NEW.deb [--requests N] [--concurrency C] [--chart FILE]
                           [--systemd-box PATH]

        OLD.deb must already be installed and serving in the box (ops/demo.sh does that); the demo
        copies NEW.deb in, runs ab -c C -n N against http://127.0.0.1:8080/ and, a quarter of the
        way in, dpkg -i NEW.deb inside the box. Defaults: --requests 200000, --concurrency 1000,
        --chart build/demo/upgrade.svg, --systemd-box ops/systemd-box of this repository.
        Exit code: 0 PASS, 1 FAIL (a request failed), 2 the demo could not run, 130 interrupted.
        """;

    public static DemoOptions Parse(string[] args)
    {
        var values = new Dictionary<string, string>();
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] is "-h" or "--help")
            {
                throw new DemoException(Usage);
            }
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                throw new DemoException($"unexpected argument '{args[i]}'\n\n{Usage}");
            }
            values[args[i][2..]] = args[++i];
        }
        string Required(string name) => values.Remove(name, out var value) ? value : throw new DemoException($"--{name} is required\n\n{Usage}");
        string Optional(string name, string fallback) => values.Remove(name, out var value) ? value : fallback;

        var root = RepositoryRoot();
        var options = new DemoOptions(
            Required("box"), Required("from"), Required("to"),
            Number("requests", Optional("requests", "200000"), 1_000, 10_000_000),
            Number("concurrency", Optional("concurrency", "1000"), 1, 20_000),
            Optional("chart", Path.Combine(root ?? ".", "build", "demo", "upgrade.svg")),
            Optional("systemd-box", Path.Combine(root ?? ".", "ops", "systemd-box")));
        if (values.Keys.FirstOrDefault() is { } unknown)
        {
            throw new DemoException($"unknown option --{unknown}\n\n{Usage}");
        }
        foreach (var (name, file) in new[] { ("from", options.FromDeb), ("to", options.ToDeb), ("systemd-box", options.BoxTool) })
        {
            if (!File.Exists(file))
            {
                throw new DemoException($"--{name}: no such file '{file}'");
            }
        }
        if (options.Concurrency > options.Requests)
        {
            throw new DemoException($"--concurrency {options.Concurrency} is more than --requests {options.Requests}");
        }
        return options;
    }

    // ab prints its progress every 10% only from 1000 requests up: the upgrade is timed from it.
    private static int Number(string name, string text, int min, int max) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw new DemoException($"--{name} must be a whole number from {min} to {max}, not '{text}'");

    private static string? RepositoryRoot()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Service.sln")))
                {
                    return dir.FullName;
                }
            }
        }
        return null;
    }
}
