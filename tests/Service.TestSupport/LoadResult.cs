using System.Globalization;
using System.Text.RegularExpressions;

namespace GracefulUpgrade.TestSupport;

/// <summary>What a load generator reported, parsed from its own summary.</summary>
public sealed partial record LoadResult(
    string Tool, long Completed, long Failed, long Non2xx, long SocketErrors, double RequestsPerSecond, string RawOutput)
{
    /// <summary>ab: "Complete requests", "Failed requests", "Non-2xx responses".</summary>
    public static LoadResult FromAb(string output)
    {
        long complete = Number(AbComplete(), output) ?? throw new FormatException("ab printed no 'Complete requests':\n" + output);
        long failed = Number(AbFailed(), output) ?? throw new FormatException("ab printed no 'Failed requests':\n" + output);
        return new("ab", complete, failed, Number(AbNon2xx(), output) ?? 0, 0, Rate(AbRate(), output), output);
    }

    /// <summary>wrk: "N requests in", "Socket errors: connect a, read b, write c, timeout d", "Non-2xx or 3xx responses".</summary>
    public static LoadResult FromWrk(string output)
    {
        long requests = Number(WrkRequests(), output) ?? throw new FormatException("wrk printed no request count:\n" + output);
        long socketErrors = 0;
        var errors = WrkSocketErrors().Match(output);
        if (errors.Success)
        {
            for (int i = 1; i <= 4; i++)
            {
                socketErrors += long.Parse(errors.Groups[i].Value, CultureInfo.InvariantCulture);
            }
        }
        return new("wrk", requests, socketErrors, Number(WrkNon2xx(), output) ?? 0, socketErrors, Rate(WrkRate(), output), output);
    }

    public override string ToString() =>
        $"{Tool}: {Completed} completed, {Failed} failed{FailureBreakdown()}, {Non2xx} non-2xx, {SocketErrors} socket errors, {RequestsPerSecond:F0} req/s{Longest()}";

    // ab's "100%  31042 (longest request)": a request delayed by dropped SYNs shows up here.
    private string Longest()
    {
        var match = AbLongest().Match(RawOutput);
        return match.Success ? $", longest request {match.Groups[1].Value} ms" : "";
    }

    // ab's own split of its failures: "(Connect: 0, Receive: 4, Length: 8, Exceptions: 0)".
    private string FailureBreakdown()
    {
        var match = AbBreakdown().Match(RawOutput);
        return match.Success ? " " + match.Value.Trim() : "";
    }

    /// <summary>
    /// ab's "Length" failures: requests whose connection ended before their whole response
    /// arrived, each counted once. ab's "Failed requests" may count one broken request under
    /// more than one heading (a reset one as Receive and Length, and its poll error as Exceptions).
    /// </summary>
    public long RequestsCutOff
    {
        get
        {
            var match = AbBreakdown().Match(RawOutput);
            return match.Success ? long.Parse(match.Groups["length"].Value, CultureInfo.InvariantCulture) : 0;
        }
    }

    private static long? Number(Regex regex, string text)
    {
        var match = regex.Match(text);
        return match.Success ? long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : null;
    }

    private static double Rate(Regex regex, string text)
    {
        var match = regex.Match(text);
        return match.Success ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
    }

    [GeneratedRegex(@"^Complete requests:\s+(\d+)", RegexOptions.Multiline)] private static partial Regex AbComplete();
    [GeneratedRegex(@"^Failed requests:\s+(\d+)", RegexOptions.Multiline)] private static partial Regex AbFailed();
    [GeneratedRegex(@"\(Connect: \d+, Receive: \d+, Length: (?<length>\d+), Exceptions: \d+\)")] private static partial Regex AbBreakdown();
    [GeneratedRegex(@"100%\s+(\d+) \(longest request\)")] private static partial Regex AbLongest();
    [GeneratedRegex(@"^Non-2xx responses:\s+(\d+)", RegexOptions.Multiline)] private static partial Regex AbNon2xx();
    [GeneratedRegex(@"^Requests per second:\s+([\d.]+)", RegexOptions.Multiline)] private static partial Regex AbRate();
    [GeneratedRegex(@"^\s*(\d+) requests in", RegexOptions.Multiline)] private static partial Regex WrkRequests();
    [GeneratedRegex(@"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")] private static partial Regex WrkSocketErrors();
    [GeneratedRegex(@"Non-2xx or 3xx responses:\s+(\d+)")] private static partial Regex WrkNon2xx();
    [GeneratedRegex(@"^Requests/sec:\s+([\d.]+)", RegexOptions.Multiline)] private static partial Regex WrkRate();
}
