using System.Runtime.InteropServices;
using GracefulUpgrade.Harness;
using GracefulUpgrade.UpgradeDemo;
using GracefulUpgrade.UpgradeDemo.Tools;

// Ctrl-C or SIGTERM (ops/demo.sh's trap) unwinds the run: ab, the sampler and the journal
// follower are stopped by their owners on the way out, so nothing is left running.
using var interrupted = new CancellationTokenSource();
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Interrupt);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Interrupt);

try
{
    // The benchmark scripts' entries into the same harness (ops/bench).
    return args.FirstOrDefault() switch
    {
        "bench-upgrades" => await BenchUpgrades.RunAsync(args[1..], interrupted.Token),
        "bench-overhead" => await BenchOverhead.RunAsync(args[1..], interrupted.Token),
        "bench-fleet" => await BenchFleet.RunAsync(args[1..], interrupted.Token),
        // ops/demo.sh --fleet: --fleet DIR, where the fleet's state goes (demo.sh cleans up from it).
        "--fleet" when args.Length >= 2 => await new FleetDemo(DemoOptions.Parse(args[2..]), args[1]).RunAsync(interrupted.Token),
        "load-summary" => LoadSummary.Run(args[1..]),
        _ => await new DemoRun(DemoOptions.Parse(args)).RunAsync(interrupted.Token),
    };
}
catch (Exception ex) when (ex is DemoException or HarnessException or TimeoutException)
{
    Console.Error.WriteLine($"UpgradeDemo: {ex.Message}");
    return 2;
}
catch (OperationCanceledException) when (interrupted.IsCancellationRequested)
{
    Console.Error.WriteLine("\nUpgradeDemo: interrupted");
    return 130;
}

void Interrupt(PosixSignalContext context)
{
    context.Cancel = true;
    interrupted.Cancel();
}
