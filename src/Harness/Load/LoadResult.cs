using System.Globalization;
using System.Text.RegularExpressions;

namespace GracefulUpgrade.Harness;

/// <summary>
/// What a load generator reported, parsed from its own summary (ab, wrk or h2load; stdout and
/// stderr together). <see cref="Aborted"/> is set when the tool gave up before its summary,
/// e.g. ab on a reset without -r, or on a request stalled past its 30 s timeout.
/// </summary>
public sealed partial record LoadResult(
    string Tool, long Completed, long Failed, long Non2xx, long SocketErrors, double RequestsPerSecond, double Seconds,
    double? LongestMs, string FailedBreakdown, string? Aborted, string RawOutput)
{
    /// <summary>Responses by X-App-Version, when the tool was asked to count them (wrk with its version script).</summary>
    public IReadOnlyDictionary<string, long> Versions { get; init; } = new Dictionary<string, long>();

    /// <summary>
    /// h2load only: the requests it was asked for ("total") and those answered in full
    /// ("succeeded"). Its "done" (<see cref="Completed"/>) also counts streams that ended
    /// without an answer (e.g. refused by GOAWAY); it counts every request it did not get
    /// answered as failed, sent or not, so Succeeded + Failed = Requested.
    /// </summary>
    public long? Requested { get; init; }

    /// <inheritdoc cref="Requested"/>
    public long? Succeeded { get; init; }

    /// <summary>Every request answered, none failed, none non-2xx.</summary>
    public bool Passed => Aborted is null && Completed > 0 && Failed == 0 && Non2xx == 0 && SocketErrors == 0;

    public static LoadResult Parse(string tool, string output) => tool switch
    {
        "ab" => FromAb(output),
        "wrk" => FromWrk(output),
        "h2load" => FromH2load(output),
        _ => throw new ArgumentException($"no parser for {tool}", nameof(tool)),
    };

    /// <summary>ab: "Complete requests", "Failed requests" and its breakdown, "Non-2xx responses", "(longest request)".</summary>
    public static LoadResult FromAb(string output)
    {
        if (Number(AbComplete(), output) is not { } complete)
        {
            // e.g. "Total of 17704 requests completed" then "apr_socket_recv: Connection reset by peer (104)",
            // or "apr_pollset_poll: The timeout specified has expired (70007)".
            var why = AbError().Match(output) is { Success: true } error ? error.Value.Trim() : "ab printed no summary";
            return new("ab", Number(AbTotalCompleted(), output) ?? 0, 0, 0, 0, 0, 0, null, "", why, output);
        }
        return new("ab", complete, Number(AbFailed(), output) ?? 0, Number(AbNon2xx(), output) ?? 0, 0,
            Decimal(AbRate(), output) ?? 0, Decimal(AbTime(), output) ?? 0, Decimal(AbLongest(), output),
            AbBreakdown().Match(output) is { Success: true } breakdown ? breakdown.Groups[1].Value : "", null, output);
    }

    /// <summary>wrk: "N requests in Ts", "Socket errors: connect a, read b, write c, timeout d", "Non-2xx or 3xx responses", latency Max.</summary>
    public static LoadResult FromWrk(string output)
    {
        if (WrkRequests().Match(output) is not { Success: true } requests)
        {
            return new("wrk", 0, 0, 0, 0, 0, 0, null, "", WrkError().Match(output) is { Success: true } e ? e.Value.Trim() : "wrk printed no summary", output);
        }
        long socketErrors = 0;
        var errors = WrkSocketErrors().Match(output);
        if (errors.Success)
        {
            for (int i = 1; i <= 4; i++)
            {
                socketErrors += long.Parse(errors.Groups[i].Value, CultureInfo.InvariantCulture);
            }
        }
        var longest = WrkLatency().Match(output) is { Success: true } latency ? Milliseconds(latency.Groups["max"].Value) : null;
        return new("wrk", long.Parse(requests.Groups[1].Value, CultureInfo.InvariantCulture), socketErrors, Number(WrkNon2xx(), output) ?? 0,
            socketErrors, Decimal(WrkRate(), output) ?? 0, Milliseconds(requests.Groups[2].Value) / 1000 ?? 0, longest,
            errors.Success ? errors.Value : "", null, output)
        {
            Versions = WrkVersion().Matches(output).GroupBy(m => m.Groups[1].Value)
                .ToDictionary(g => g.Key, g => g.Sum(m => long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture))),
        };
    }

    /// <summary>h2load: "requests: ... done, ... failed", "status codes: a 2xx, b 3xx, c 4xx, d 5xx", "finished in", request time max.</summary>
    public static LoadResult FromH2load(string output)
    {
        if (H2Requests().Match(output) is not { Success: true } requests || H2Finished().Match(output) is not { Success: true } finished)
        {
            return new("h2load", 0, 0, 0, 0, 0, 0, null, "", "h2load printed no summary", output);
        }
        long Group(string name) => long.Parse(requests.Groups[name].Value, CultureInfo.InvariantCulture);
        var non2xx = H2Status().Match(output) is { Success: true } status
            ? Enumerable.Range(1, 3).Sum(i => long.Parse(status.Groups[i].Value, CultureInfo.InvariantCulture))
            : 0;
        var longest = H2RequestTime().Match(output) is { Success: true } time ? Milliseconds(time.Groups["max"].Value) : null;
        return new("h2load", Group("done"), Group("failed"), non2xx, 0,
            double.Parse(finished.Groups["rate"].Value, CultureInfo.InvariantCulture), Milliseconds(finished.Groups["time"].Value) / 1000 ?? 0,
            longest, $"(errored: {Group("errored")}, timeout: {Group("timeout")})", null, output)
        {
            Requested = Group("total"),
            Succeeded = Group("succeeded"),
        };
    }

    /// <summary>
    /// ab's "Length" failures: requests whose connection ended before their whole response
    /// arrived, each counted once. ab's "Failed requests" may count one broken request under
    /// more than one heading (a reset one as Receive and Length, and its poll error as Exceptions).
    /// </summary>
    public long RequestsCutOff =>
        AbBreakdownLength().Match(RawOutput) is { Success: true } match ? long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : 0;

    public override string ToString() =>
        (Aborted is not null ? $"{Tool}: ABORTED after {Completed} requests: {Aborted}" :
        $"{Tool}: {Completed} completed, {Failed} failed{(FailedBreakdown.Length > 0 ? " " + FailedBreakdown : "")}, {Non2xx} non-2xx, " +
        $"{SocketErrors} socket errors, {RequestsPerSecond:F0} req/s")
        + (Versions.Count > 0 ? ", versions " + string.Join(", ", Versions.Select(kv => $"{kv.Key}={kv.Value}")) : "")
        + (LongestMs is { } longest ? $", longest request {longest:0.##} ms" : "");

    /// <summary>"6.85ms", "640.41us", "1.50s", "2m": a duration as wrk and h2load print it, in ms.</summary>
    public static double? Milliseconds(string text)
    {
        var match = Duration().Match(text.Trim());
        if (!match.Success)
        {
            return null;
        }
        var value = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        return match.Groups[2].Value switch
        {
            "us" => value / 1000,
            "ms" => value,
            "s" => value * 1000,
            "m" => value * 60_000,
            _ => null,
        };
    }

    private static long? Number(Regex regex, string text) =>
        regex.Match(text) is { Success: true } match ? long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : null;

    private static double? Decimal(Regex regex, string text) =>
        regex.Match(text) is { Success: true } match ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : null;

    [GeneratedRegex(@"^Complete requests:\s+(\d+)", RegexOptions.Multiline)] private static partial Regex AbComplete();
    [GeneratedRegex(@"^Failed requests:\s+(\d+)", RegexOptions.Multiline)] private static partial Regex AbFailed();
    [GeneratedRegex(@"\((Connect: \d+, Receive: \d+, Length: \d+, Exceptions: \d+)\)")] private static partial Regex AbBreakdown();
    [GeneratedRegex(@"\(Connect: \d+, Receive: \d+, Length: (\d+), Exceptions: \d+\)")] private static partial Regex AbBreakdownLength();
    [GeneratedRegex(@"^Non-2xx responses:\s+(\d+)", RegexOptions.Multiline)] private static partial Regex AbNon2xx();
    [GeneratedRegex(@"^Requests per second:\s+([\d.]+)", RegexOptions.Multiline)] private static partial Regex AbRate();
    [GeneratedRegex(@"^Time taken for tests:\s+([\d.]+)", RegexOptions.Multiline)] private static partial Regex AbTime();
    [GeneratedRegex(@"100%\s+(\d+) \(longest request\)")] private static partial Regex AbLongest();
    [GeneratedRegex(@"Total of (\d+) requests completed")] private static partial Regex AbTotalCompleted();
    [GeneratedRegex(@"apr_\w+(\(\))?: [^\r\n]*")] private static partial Regex AbError();
    [GeneratedRegex(@"^\s*(\d+) requests in ([\d.]+\w+)", RegexOptions.Multiline)] private static partial Regex WrkRequests();
    [GeneratedRegex(@"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")] private static partial Regex WrkSocketErrors();
    [GeneratedRegex(@"Non-2xx or 3xx responses:\s+(\d+)")] private static partial Regex WrkNon2xx();
    [GeneratedRegex(@"^Requests/sec:\s+([\d.]+)", RegexOptions.Multiline)] private static partial Regex WrkRate();
    [GeneratedRegex(@"^\s+Latency\s+\S+\s+\S+\s+(?<max>\S+)", RegexOptions.Multiline)] private static partial Regex WrkLatency();
    [GeneratedRegex(@"^X-App-Version (\S+): (\d+)$", RegexOptions.Multiline)] private static partial Regex WrkVersion();
    [GeneratedRegex(@"^(unable to connect|.*[Ee]rror).*$", RegexOptions.Multiline)] private static partial Regex WrkError();
    [GeneratedRegex(@"^requests: (?<total>\d+) total, \d+ started, (?<done>\d+) done, (?<succeeded>\d+) succeeded, (?<failed>\d+) failed, (?<errored>\d+) errored, (?<timeout>\d+) timeout", RegexOptions.Multiline)] private static partial Regex H2Requests();
    [GeneratedRegex(@"^status codes: \d+ 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", RegexOptions.Multiline)] private static partial Regex H2Status();
    [GeneratedRegex(@"^finished in (?<time>[\d.]+\w+), (?<rate>[\d.]+) req/s", RegexOptions.Multiline)] private static partial Regex H2Finished();
    [GeneratedRegex(@"^time for request:\s+\S+\s+(?<max>\S+)", RegexOptions.Multiline)] private static partial Regex H2RequestTime();
    [GeneratedRegex(@"^([\d.]+)(us|ms|s|m)$")] private static partial Regex Duration();
}
