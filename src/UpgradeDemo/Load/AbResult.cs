using System.Globalization;
using System.Text.RegularExpressions;

namespace GracefulUpgrade.UpgradeDemo.Load;

/// <summary>ab's final figures, parsed from its summary; Aborted when it printed none.</summary>
internal sealed partial record AbResult(
    long Complete, long Failed, string FailedBreakdown, long Non2xx, double RequestsPerSecond, double Seconds,
    string? Aborted)
{
    public bool Passed => Aborted is null && Complete > 0 && Failed == 0 && Non2xx == 0;

    public static AbResult Parse(string output, int exitCode)
    {
        if (Number(CompleteLine(), output) is not { } complete)
        {
            // e.g. "apr_socket_connect(): Connection refused (111)" then "Total of N requests completed".
            var why = output.Split('\n').LastOrDefault(l => l.StartsWith("apr_", StringComparison.Ordinal) || l.Contains("rror", StringComparison.Ordinal))
                ?? $"exit code {exitCode}";
            return new AbResult(Number(TotalCompleted(), output) ?? 0, 0, "", 0, 0, 0, why.Trim());
        }
        return new AbResult(
            complete,
            Number(FailedLine(), output) ?? 0,
            Breakdown().Match(output) is { Success: true } breakdown ? breakdown.Groups[1].Value : "",
            Number(Non2xxLine(), output) ?? 0,
            Decimal(Rate(), output),
            Decimal(TimeTaken(), output),
            null);
    }

    private static long? Number(Regex regex, string text) =>
        regex.Match(text) is { Success: true } match ? long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : null;

    private static double Decimal(Regex regex, string text) =>
        regex.Match(text) is { Success: true } match ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : 0;

    [GeneratedRegex(@"^Complete requests:\s+(\d+)", RegexOptions.Multiline)] private static partial Regex CompleteLine();
    [GeneratedRegex(@"^Failed requests:\s+(\d+)", RegexOptions.Multiline)] private static partial Regex FailedLine();
    [GeneratedRegex(@"^\s+\((Connect: \d+, Receive: \d+, Length: \d+, Exceptions: \d+)\)", RegexOptions.Multiline)] private static partial Regex Breakdown();
    [GeneratedRegex(@"^Non-2xx responses:\s+(\d+)", RegexOptions.Multiline)] private static partial Regex Non2xxLine();
    [GeneratedRegex(@"^Requests per second:\s+([\d.]+)", RegexOptions.Multiline)] private static partial Regex Rate();
    [GeneratedRegex(@"^Time taken for tests:\s+([\d.]+)", RegexOptions.Multiline)] private static partial Regex TimeTaken();
    [GeneratedRegex(@"Total of (\d+) requests completed")] private static partial Regex TotalCompleted();
}
