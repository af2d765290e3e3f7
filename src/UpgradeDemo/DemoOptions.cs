using GracefulUpgrade.Harness;
using System.Globalization;

namespace GracefulUpgrade.UpgradeDemo;

/// <summary>The command line, checked before anything starts: a bad value names its option.</summary>
internal sealed record DemoOptions(string FromDeb, string ToDeb, int Requests, int Concurrency, string Chart)
{
    public const string Usage = """
        usage: UpgradeDemo --from OLD.deb --to NEW.deb [--requests N] [--concurrency C] [--chart FILE]

        Boots a throwaway systemd (ops/systemd-box), installs OLD.deb in it, runs ab -c C -n N
        against http://127.0.0.1:8080/ and, a quarter of the way in, dpkg -i NEW.deb inside the
        box; sets net.ipv4.tcp_migrate_req=1 on the host meanwhile. Run as root, with port 8080
        free (ops/demo.sh checks). Defaults: --requests 200000, --concurrency 1000,
        --chart build/demo/upgrade.svg.
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

        var options = new DemoOptions(
            Required("from"), Required("to"),
            Number("requests", Optional("requests", "200000"), 1_000, 10_000_000),
            Number("concurrency", Optional("concurrency", "1000"), 1, 20_000),
            Optional("chart", Path.Combine(Repo.TryRoot ?? ".", "build", "demo", "upgrade.svg")));
        if (values.Keys.FirstOrDefault() is { } unknown)
        {
            throw new DemoException($"unknown option --{unknown}\n\n{Usage}");
        }
        foreach (var (name, file) in new[] { ("from", options.FromDeb), ("to", options.ToDeb) })
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
}
