using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace GracefulUpgrade.TestSupport;

public sealed record CliResult(int ExitCode, string Output, string Error)
{
    public CliResult EnsureSuccess(string what) =>
        ExitCode == 0 ? this : throw new InvalidOperationException($"{what} exited {ExitCode}:\n{Output}\n{Error}");
}

/// <summary>Runs a command to completion with a deadline; a hang fails the test, not CI.</summary>
public static partial class Cli
{
    public static async Task<CliResult> RunAsync(string file, IEnumerable<string> args, TimeSpan timeout,
        IDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Repo.Root,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {file}");
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish within {timeout}");
        }
        return new CliResult(process.ExitCode, await output, await error);
    }

    public static Task<CliResult> ShAsync(string script, TimeSpan timeout, IDictionary<string, string>? environment = null) =>
        RunAsync("/bin/sh", ["-c", script], timeout, environment);

    /// <summary>Sends a signal (SIGTERM = 15, SIGKILL = 9) to one process we started.</summary>
    public static void Signal(int pid, int signal)
    {
        if (Kill(pid, signal) != 0)
        {
            throw new InvalidOperationException($"kill({pid}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    public const int SigTerm = 15;
    public const int SigKill = 9;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
