namespace GracefulUpgrade.UnitTests;

/// <summary>
/// The harness reads an upgrade's steps off `journalctl -o json` by structured data alone:
/// systemd's MESSAGE_ID and JOB_RESULT, the service's event id. Checked against the real journal
/// of an upgrade 1.0.0 -> 2.0.0 in a systemd box (Recorded/journal-upgrade.json, see README.md).
/// </summary>
public sealed class JournalEntryTests
{
    private static readonly IReadOnlyList<JournalEntry> Entries =
        JournalEntry.ParseAll(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Recorded", "journal-upgrade.json")));

    private static readonly string Old = SystemdBox.Instance("1.0.0"), New = SystemdBox.Instance("2.0.0");

    [Fact]
    public void TheNewInstanceStartsListensPassesItsSelfCheckAndIsStarted()
    {
        var entries = Entries.Where(e => e.Unit == New).ToList();

        var begun = Index(entries, e => e.FromSystemd && e.MessageId == SystemdMessage.StartJobBegun);
        var listening = Index(entries, e => e.Event == ServiceEvent.Listening);
        var selfCheck = Index(entries, e => e.Event == ServiceEvent.SelfCheckPassed);
        var started = Index(entries, e => e.FromSystemd && e.MessageId == SystemdMessage.StartJobFinished && e.JobResult == "done");
        Assert.True(begun < listening && listening < selfCheck && selfCheck < started, $"{begun} {listening} {selfCheck} {started}");
    }

    [Fact]
    public void TheOldInstanceDrainsAndStopsOnItsOwn()
    {
        var entries = Entries.Where(e => e.Unit == Old).ToList();

        var stopBegun = Index(entries, e => e.FromSystemd && e.MessageId == SystemdMessage.StopJobBegun);
        var drain = Index(entries, e => e.Event == ServiceEvent.ListenerClosed);
        var succeeded = Index(entries, e => e.FromSystemd && e.MessageId == SystemdMessage.UnitSucceeded);
        var stopped = Index(entries, e => e.FromSystemd && e.MessageId == SystemdMessage.StopJobFinished);
        Assert.True(stopBegun < drain && drain < succeeded && succeeded <= stopped, $"{stopBegun} {drain} {succeeded} {stopped}");
        Assert.DoesNotContain(entries, e => e.MessageId == SystemdMessage.UnitFailed);
    }

    [Fact]
    public void OnlyTheServiceItselfCarriesServiceEvents()
    {
        Assert.All(Entries.Where(e => e.FromSystemd), e => Assert.Null(e.Event));
        Assert.Contains(Entries, e => e.Event is not null);
    }

    [Fact]
    public void EveryEventOfAnInstanceComesFromOneProcessWhosePidTheEntryCarries()
    {
        // An upgrade without a reload: one process per instance, so the events of each unit
        // carry a single _PID, and it is not systemd's.
        foreach (var unit in new[] { Old, New })
        {
            var pids = Entries.Where(e => e.Unit == unit && e.Event is not null).Select(e => e.Pid).Distinct().ToList();
            var pid = Assert.Single(pids);
            Assert.True(int.TryParse(pid, out var number) && number > 1, $"{unit}: _PID {pid}");
        }
    }

    private static int Index(List<JournalEntry> entries, Predicate<JournalEntry> match)
    {
        var index = entries.FindIndex(match);
        Assert.True(index >= 0, "no such entry in:\n" + string.Join('\n', entries.Select(e => $"{e.MessageId} {e.Message}")));
        return index;
    }
}
