using System.Diagnostics;

namespace GracefulUpgrade.UpgradeDemo.Box;

/// <summary>Child processes with a deadline: a hang ends the demo, never the machine's patience.</summary>
internal static class Command
{
    public static Process Start(string file, IEnumerable<string> args)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        var process = Process.Start(start) ?? throw new DemoException($"cannot start {file}");
        process.StandardInput.Close();
        return process;
    }

    public static async Task<CommandResult> RunAsync(string file, IEnumerable<string> args, TimeSpan deadline,
        CancellationToken cancel)
    {
        using var process = Start(file, args);
        var output = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var error = process.StandardError.ReadToEndAsync(CancellationToken.None);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        timeout.CancelAfter(deadline);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Stop(process);
            cancel.ThrowIfCancellationRequested();
            throw new DemoException($"{file} {string.Join(' ', args)} did not finish within {deadline.TotalSeconds:F0} s");
        }
        return new CommandResult(process.ExitCode, await output, await error);
    }

    /// <summary>Stops a process this demo started and waits, a bounded time, for it to be gone.</summary>
    public static async Task StopAsync(Process process)
    {
        Stop(process);
        try
        {
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException)
        {
            // SIGKILL was sent; the kernel finishes it. Nothing more this process can do.
        }
    }

    /// <summary>Kills a process this demo started, and its descendants (nsenter forks the command it runs).</summary>
    public static void Stop(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Exited between the check and the kill.
        }
    }
}
