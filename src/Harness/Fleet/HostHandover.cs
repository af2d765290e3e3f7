namespace GracefulUpgrade.Harness;

/// <summary>
/// One host's handover, from its journal: systemd begins starting the new instance (the
/// postinst's `systemctl start`), the new instance is ready (start job done: READY=1 after its
/// self-check), the old one is stopped (its stop job done, after its drain). Found by systemd's
/// MESSAGE_IDs only, never by a message's wording.
/// </summary>
public sealed record HostHandover(string Host, string From, string To, TimeSpan NewStarting, TimeSpan NewReady, TimeSpan OldStopped)
{
    /// <summary>From the new instance's start to the old one stopped: the host's whole handover.</summary>
    public TimeSpan Duration => OldStopped - NewStarting;

    /// <summary>
    /// The last handover from <paramref name="from"/> to <paramref name="to"/> in these entries
    /// (a host may have gone back and forth), or null if none completed.
    /// </summary>
    public static HostHandover? Find(string host, IReadOnlyList<JournalEntry> entries, string from, string to, RunClock clock)
    {
        string oldUnit = SystemdBox.Instance(from), newUnit = SystemdBox.Instance(to);
        var systemd = entries.Where(e => e.FromSystemd).OrderBy(e => e.RealtimeMicroseconds).ToList();
        var starting = systemd.LastOrDefault(e => e.Unit == newUnit && e.MessageId == SystemdMessage.StartJobBegun);
        if (starting is null)
        {
            return null;
        }
        var after = systemd.Where(e => e.RealtimeMicroseconds >= starting.RealtimeMicroseconds).ToList();
        var ready = after.FirstOrDefault(e => e.Unit == newUnit && e.MessageId == SystemdMessage.StartJobFinished && e.JobResult == "done");
        var stopped = after.FirstOrDefault(e => e.Unit == oldUnit && e.MessageId is SystemdMessage.StopJobFinished or SystemdMessage.UnitSucceeded);
        return ready is null || stopped is null
            ? null
            : new HostHandover(host, from, to, clock.FromUnixMicroseconds(starting.RealtimeMicroseconds),
                clock.FromUnixMicroseconds(ready.RealtimeMicroseconds), clock.FromUnixMicroseconds(stopped.RealtimeMicroseconds));
    }

    public override string ToString() =>
        $"{Host} {From} -> {To}: {Duration.TotalMilliseconds:F0} ms (ready after {(NewReady - NewStarting).TotalMilliseconds:F0} ms)";
}
