using System.Globalization;

namespace GracefulUpgrade.Harness;

/// <summary>
/// ab's per-request records (ab -g FILE, "gnuplot" format): for each request the wall-clock
/// second it started (ab keeps whole seconds only) and its total time. The real request rate,
/// which the chart draws, comes from here.
/// </summary>
public sealed record AbTimings(IReadOnlyList<AbTimings.Request> Requests)
{
    public sealed record Request(long StartUnixSeconds, int TotalMs);

    public static AbTimings Parse(string text)
    {
        var requests = new List<Request>();
        // Columns: starttime (text), seconds (unix), ctime, dtime, ttime, wait; a header line first.
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = line.TrimEnd('\r').Split('\t');
            if (fields.Length >= 6
                && long.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var start)
                && int.TryParse(fields[4], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var total))
            {
                requests.Add(new Request(start, total));
            }
        }
        return new AbTimings(requests);
    }

    public static AbTimings Read(string path) => Parse(File.ReadAllText(path));

    /// <summary>Requests started in each whole wall-clock second, in order of the seconds.</summary>
    public IReadOnlyList<(long UnixSecond, int Count)> StartedPerSecond() =>
        [.. Requests.GroupBy(r => r.StartUnixSeconds).OrderBy(g => g.Key).Select(g => (g.Key, g.Count()))];
}
