namespace GracefulUpgrade.Harness;

/// <summary>A finished command: its exit code and everything it wrote.</summary>
public sealed record CliResult(int ExitCode, string Output, string Error)
{
    public CliResult EnsureSuccess(string what) =>
        ExitCode == 0 ? this : throw new HarnessException($"{what} exited {ExitCode}:\n{Output}\n{Error}".TrimEnd());
}
