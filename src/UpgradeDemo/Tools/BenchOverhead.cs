using System.Globalization;
using GracefulUpgrade.Harness;

namespace GracefulUpgrade.UpgradeDemo.Tools;

/// <summary>
/// ops/bench/overhead.sh: what the handover adds to an idle `dpkg -i` in a real systemd. Each
/// pair, in one box: an upgrade V1 -> V2 with the handover (start NEW until READY=1, stop and
/// drain OLD), then `dpkg -i V1` with a policy-rc.d that exits 101, so the postinst does its
/// bookkeeping (user, conffile, sysctl, enablement links) but starts and stops nothing. An
/// untimed reinstall of V1 without the policy brings the box back to "V1 serving" for the next
/// pair. Interleaving the two kinds keeps the machine's noise out of their ratio.
/// </summary>
internal static class BenchOverhead
{
    private const string PolicyRcD = "/usr/sbin/policy-rc.d";

    public static async Task<int> RunAsync(string[] args, CancellationToken cancel)
    {
        var v1 = args.ElementAtOrDefault(0) ?? "1.0.0";
        var v2 = args.ElementAtOrDefault(1) ?? "2.0.0";
        int pairs = BenchUpgrades.Setting("PAIRS", 6);
        // Another directory's packages (e.g. an older commit's build/) give a "before" figure.
        var debs = Environment.GetEnvironmentVariable("DEBS") is { Length: > 0 } dir ? dir : Repo.BuildDir;

        await using var box = await SystemdBox.StartAsync("overhead", cancel);
        var deb1 = await box.CopyInAsync(Path.Combine(debs, $"graceful-upgrade-example_{v1}_amd64.deb"), cancel);
        var deb2 = await box.CopyInAsync(Path.Combine(debs, $"graceful-upgrade-example_{v2}_amd64.deb"), cancel);
        (await box.ExecAsync(cancel, "dpkg", "-i", deb1)).EnsureSuccess($"dpkg -i {v1}");

        var handovers = new List<double>();
        var forbidden = new List<double>();
        Console.WriteLine($"{"pair",-5} {"handover_ms",12} {"no_start_ms",12} {"ratio",7}");
        for (int i = 1; i <= pairs; i++)
        {
            var handover = await BenchUpgrades.UpgradeAsync(box, deb2, cancel);
            await ExpectServingAsync(box, serving: v2, stopped: v1);

            (await box.ShAsync($"printf '#!/bin/sh\\nexit 101\\n' > {PolicyRcD} && chmod 0755 {PolicyRcD}")).EnsureSuccess("write policy-rc.d");
            var noStart = await BenchUpgrades.UpgradeAsync(box, deb1, cancel);
            (await box.ExecAsync(cancel, "rm", "-f", PolicyRcD)).EnsureSuccess("remove policy-rc.d");
            // The policy kept V1 from starting, so V2 still serves: the run did no handover.
            await ExpectServingAsync(box, serving: v2, stopped: v1);

            await BenchUpgrades.UpgradeAsync(box, deb1, cancel);
            await ExpectServingAsync(box, serving: v1, stopped: v2);

            handovers.Add(handover);
            forbidden.Add(noStart);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{i,-5} {handover,12:0.#} {noStart,12:0.#} {handover / noStart,7:0.00}"));
        }

        double ratio = BenchUpgrades.Median(handovers) / BenchUpgrades.Median(forbidden);
        Console.WriteLine();
        Console.WriteLine($"idle dpkg -i {v1}->{v2} with the handover (ms):       {BenchUpgrades.Stats(handovers)}");
        Console.WriteLine($"idle dpkg -i with policy-rc.d exit 101 (ms):         {BenchUpgrades.Stats(forbidden)}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"handover overhead (median / median):                 {ratio:0.00}x (goal <= 1.5x)"));
        return 0;
    }

    private static async Task ExpectServingAsync(SystemdBox box, string serving, string stopped)
    {
        var active = await box.SystemctlAsync("is-active", serving);
        var inactive = await box.SystemctlAsync("is-active", stopped);
        if (active != "active" || inactive == "active")
        {
            throw new HarnessException($"expected {serving} serving and {stopped} stopped, found {active} and {inactive}");
        }
    }
}
