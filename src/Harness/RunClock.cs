using System.Diagnostics;

namespace GracefulUpgrade.Harness;

/// <summary>
/// One time axis for a run: load progress, sampler responses and journal entries are all kept
/// as offsets from the clock's start. The journal stamps entries with wall-clock time, which
/// the box shares with the host (same kernel), so they convert exactly.
/// </summary>
public sealed class RunClock
{
    private readonly DateTimeOffset _origin = DateTimeOffset.UtcNow;
    private readonly Stopwatch _elapsed = Stopwatch.StartNew();

    public TimeSpan Now => _elapsed.Elapsed;

    public DateTimeOffset WallTime(TimeSpan at) => _origin + at;

    public TimeSpan FromUnixMicroseconds(long microseconds) =>
        DateTimeOffset.UnixEpoch.AddTicks(microseconds * 10) - _origin;

    /// <summary>"12:04:31.207 (+3.41 s)".</summary>
    public string Stamp(TimeSpan at) =>
        $"{WallTime(at).ToLocalTime():HH:mm:ss.fff} (+{at.TotalSeconds:F2} s)";
}
