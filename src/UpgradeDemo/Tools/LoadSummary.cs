using System.Globalization;
using GracefulUpgrade.Harness;

namespace GracefulUpgrade.UpgradeDemo.Tools;

/// <summary>
/// `UpgradeDemo load-summary ab|wrk|h2load FILE`: the harness's reading of a load tool's output
/// (stdout and stderr in FILE), one `name=value` a line, for the benchmark scripts, so that they
/// parse nothing themselves.
/// </summary>
internal static class LoadSummary
{
    public static int Run(string[] args)
    {
        if (args.Length != 2 || args[0] is not ("ab" or "wrk" or "h2load"))
        {
            throw new DemoException("usage: UpgradeDemo load-summary ab|wrk|h2load FILE");
        }
        var result = LoadResult.Parse(args[0], File.ReadAllText(args[1]));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""
            completed={result.Completed}
            failed={result.Failed}
            non2xx={result.Non2xx}
            socket_errors={result.SocketErrors}
            rps={result.RequestsPerSecond:0.##}
            longest_ms={result.LongestMs?.ToString("0.##", CultureInfo.InvariantCulture) ?? "n/a"}
            aborted={result.Aborted ?? ""}
            passed={(result.Passed ? "yes" : "no")}
            """));
        return 0;
    }
}
