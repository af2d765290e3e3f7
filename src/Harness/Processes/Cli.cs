using System.Diagnostics;
using System.Runtime.InteropServices;

namespace GracefulUpgrade.Harness;

/// <summary>
/// Child processes with a deadline: a hang fails the test or ends the demo, never the
/// machine's patience. Every process started here is stopped by its owner, by its own PID.
/// </summary>
public static partial class Cli
{
    public const int SigTerm = 15;
    public const int SigKill = 9;

    /// <summary>Starts a long-running command; stdin closed, stdout and stderr redirected.</summary>
    public static Process Start(string file, IEnumerable<string> args, IDictionary<string, string>? environment = null,
        string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Repo.TryRoot ?? Environment.CurrentDirectory,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }
        var process = Process.Start(start) ?? throw new HarnessException($"cannot start {file}");
        process.StandardInput.Close();
        return process;
    }

    /// <summary>Runs a command to completion; past <paramref name="timeout"/> it is killed and a TimeoutException thrown.</summary>
    public static async Task<CliResult> RunAsync(string file, IEnumerable<string> args, TimeSpan timeout,
        IDictionary<string, string>? environment = null, string? workingDirectory = null, CancellationToken cancel = default)
    {
        var argList = args.ToList();
        using var process = Start(file, argList, environment, workingDirectory);
        var output = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var error = process.StandardError.ReadToEndAsync(CancellationToken.None);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        deadline.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            Stop(process);
            cancel.ThrowIfCancellationRequested();
            throw new TimeoutException($"{file} {string.Join(' ', argList)} did not finish within {timeout.TotalSeconds:F0} s");
        }
        return new CliResult(process.ExitCode, await output, await error);
    }

    public static Task<CliResult> ShAsync(string script, TimeSpan timeout, IDictionary<string, string>? environment = null,
        CancellationToken cancel = default) =>
        RunAsync("/bin/sh", ["-c", script], timeout, environment, cancel: cancel);

    /// <summary>Stops a process started here and waits, a bounded time, for it to be gone.</summary>
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

    /// <summary>Kills a process started here, and its descendants (nsenter and sh fork the command they run).</summary>
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

    /// <summary>Sends a signal (SIGTERM = 15, SIGKILL = 9) to one process we started.</summary>
    public static void Signal(int pid, int signal)
    {
        if (Kill(pid, signal) != 0)
        {
            throw new HarnessException($"kill({pid}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
