using System.Runtime.InteropServices;
using GracefulUpgrade.UpgradeDemo;

// Ctrl-C or SIGTERM (ops/demo.sh's trap) unwinds the run: ab, the sampler and the journal
// follower are stopped by their owners on the way out, so nothing is left running.
using var interrupted = new CancellationTokenSource();
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Interrupt);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Interrupt);

try
{
    var options = DemoOptions.Parse(args);
    return await new DemoRun(options).RunAsync(interrupted.Token);
}
catch (DemoException ex)
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
