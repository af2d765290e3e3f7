
namespace GracefulUpgrade.UpgradeDemo.Box;

internal sealed record CommandResult(int ExitCode, string Output, string Error)
{
    public CommandResult EnsureSuccess(string what) =>
        ExitCode == 0 ? this : throw new DemoException($"{what} exited {ExitCode}:\n{Output}{Error}".TrimEnd());
}
