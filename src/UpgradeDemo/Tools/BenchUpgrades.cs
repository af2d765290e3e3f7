using System.Diagnostics;
using System.Globalization;
using GracefulUpgrade.Harness;

namespace GracefulUpgrade.UpgradeDemo.Tools;

/// <summary>
/// ops/bench/upgrades.sh: consecutive upgrades in a real systemd under ab -c 1000 -n N, then the
/// same handover idle. Per run: dpkg -i wall time (start NEW, READY=1, stop and drain OLD), the
/// new instance's exec-to-ready from systemd's own timestamps, ab's failed, non-2xx and longest
/// request (ab's default 30 s timeout: a longer stall aborts the run and is reported), and the
/// kernel's migration counters over the run.
/// </summary>
internal static class BenchUpgrades
{
    private const int Concurrency = 1000;
    private static readonly TimeSpan LoadDeadline = TimeSpan.FromMinutes(5);

    public static async Task<int> RunAsync(string[] args, CancellationToken cancel)
    {
        var v1 = args.ElementAtOrDefault(0) ?? "1.0.0";
        var v2 = args.ElementAtOrDefault(1) ?? "2.0.0";
        int upgrades = Setting("UPGRADES", 10), requests = Setting("N", 100_000), idle = Setting("IDLE", 5);
        var debs = new[] { v1, v2 }.ToDictionary(v => v, v => Path.Combine(Repo.BuildDir, $"graceful-upgrade-example_{v}_amd64.deb"));

        using var migrateReq = new MigrateReqSysctl();
        await using var box = await SystemdBox.StartAsync("bench", cancel);
        var inBox = new Dictionary<string, string>();
        foreach (var (version, deb) in debs)
        {
            inBox[version] = await box.CopyInAsync(deb, cancel);
        }
        (await box.ExecAsync(cancel, "dpkg", "-i", inBox[v1])).EnsureSuccess($"dpkg -i {v1}");

        var handovers = new List<double>();
        var idles = new List<double>();
        var ready = new List<double>();
        var failed = new List<double>();
        var longest = new List<double>();
        var aborted = 0;
        var current = v1;
        Console.WriteLine(Row("run", "upgrade", "handover_ms", "exec_ready_ms", "failed", "non2xx", "longest_ms", "migrated", "mig_fail", "syn_rtx"));
        for (int i = 1; i <= upgrades; i++)
        {
            var next = current == v1 ? v2 : v1;
            var before = TcpCounters.Read();
            await using var load = LoadGenerator.StartAb(SystemdBox.Port, Concurrency, requests);
            // Upgrade once ab has done about a third of its requests.
            await load.WaitForProgressAsync(requests * 3 / 10, LoadDeadline, cancel);
            var handover = await UpgradeAsync(box, inBox[next], cancel);
            var result = await load.WaitForResultAsync(LoadDeadline, cancel);
            var counters = TcpCounters.Read() - before;
            var readyMs = await ExecToReadyAsync(box, next);
            Console.WriteLine(Row(i.ToString(CultureInfo.InvariantCulture), $"{current}->{next}", Ms(handover), Ms(readyMs),
                result.Aborted is null ? result.Failed.ToString(CultureInfo.InvariantCulture) : "ABORTED",
                result.Non2xx.ToString(CultureInfo.InvariantCulture), result.LongestMs is { } l ? Ms(l) : "?",
                counters.MigrateReqSuccess.ToString(CultureInfo.InvariantCulture), counters.MigrateReqFailure.ToString(CultureInfo.InvariantCulture),
                counters.SynRetrans.ToString(CultureInfo.InvariantCulture)));
            if (result.Aborted is { } why)
            {
                Console.WriteLine($"     ab aborted after {result.Completed} requests: {why}");
                aborted++;
            }
            handovers.Add(handover);
            ready.Add(readyMs);
            failed.Add(result.Failed);
            if (result.LongestMs is { } longestMs)
            {
                longest.Add(longestMs);
            }
            current = next;
        }
        for (int i = 0; i < idle; i++)
        {
            var next = current == v1 ? v2 : v1;
            idles.Add(await UpgradeAsync(box, inBox[next], cancel));
            ready.Add(await ExecToReadyAsync(box, next));
            current = next;
        }

        Console.WriteLine();
        Console.WriteLine($"handover under ab -c {Concurrency} (dpkg -i wall time, ms): {Stats(handovers)}");
        Console.WriteLine($"handover idle (dpkg -i wall time, ms):            {Stats(idles)}");
        Console.WriteLine($"exec-to-ready under systemd (ms, all upgrades):   {Stats(ready)}");
        Console.WriteLine($"failed requests per upgrade:                      {Stats(failed)}, total {failed.Sum():F0}");
        Console.WriteLine($"longest request per upgrade run (ms):             {Stats(longest)}");
        Console.WriteLine($"ab runs aborted (a request stalled past 30 s):    {aborted} of {upgrades}");
        return 0;
    }

    internal static async Task<double> UpgradeAsync(SystemdBox box, string debInBox, CancellationToken cancel)
    {
        var watch = Stopwatch.StartNew();
        (await box.ExecAsync(cancel, "dpkg", "-i", debInBox)).EnsureSuccess($"dpkg -i {debInBox}");
        return watch.Elapsed.TotalMilliseconds;
    }

    /// <summary>Exec-to-ready of an instance from systemd's monotonic timestamps (ExecMainStart to ActiveEnter).</summary>
    private static async Task<double> ExecToReadyAsync(SystemdBox box, string version)
    {
        var exec = long.Parse(await box.PropertyAsync(version, "ExecMainStartTimestampMonotonic"), CultureInfo.InvariantCulture);
        var active = long.Parse(await box.PropertyAsync(version, "ActiveEnterTimestampMonotonic"), CultureInfo.InvariantCulture);
        return (active - exec) / 1000.0;
    }

    internal static int Setting(string name, int fallback) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } text ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;

    private static string Row(params string[] cells) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{cells[0],-4} {cells[1],-16} {cells[2],12} {cells[3],14} {cells[4],8} {cells[5],8} {cells[6],11} {cells[7],9} {cells[8],9} {cells[9],9}");

    private static string Ms(double ms) => ms.ToString("0.#", CultureInfo.InvariantCulture);

    internal static string Stats(List<double> values)
    {
        if (values.Count == 0)
        {
            return "n/a";
        }
        var sorted = values.Order().ToList();
        return string.Create(CultureInfo.InvariantCulture, $"median {Median(values):0.#}, range {sorted[0]:0.#}..{sorted[^1]:0.#} (n={sorted.Count})");
    }

    internal static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
