namespace GracefulUpgrade.UnitTests;

/// <summary>
/// What the fleet tests, the demo and the benchmark read: a host's handover from a real
/// journal (Recorded/journal-upgrade.json, an upgrade 1.0.0 -> 2.0.0 in a systemd box) and
/// ansible-playbook's PLAY RECAP.
/// </summary>
public sealed class FleetRecordsTests
{
    private static readonly IReadOnlyList<JournalEntry> Entries =
        JournalEntry.ParseAll(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Recorded", "journal-upgrade.json")));

    [Fact]
    public void AHandoverRunsFromTheNewInstanceStartingThroughItsReadinessToTheOldOneStopped()
    {
        var handover = HostHandover.Find("h1", Entries, "1.0.0", "2.0.0", new RunClock());

        Assert.NotNull(handover);
        Assert.True(handover.NewStarting < handover.NewReady && handover.NewReady < handover.OldStopped, handover.ToString());
        Assert.True(handover.Duration > TimeSpan.Zero && handover.Duration < TimeSpan.FromSeconds(30), handover.ToString());
    }

    [Fact]
    public void NoHandoverIsFoundWhereTheJournalHasNoneOfThoseVersions()
    {
        Assert.Null(HostHandover.Find("h1", Entries, "2.0.0", "1.0.0", new RunClock()));
        Assert.Null(HostHandover.Find("h1", Entries, "1.0.0", "3.0.0", new RunClock()));
    }

    [Fact]
    public void TheRecapGivesEachHostsCountsFromTheLastRecapOnly()
    {
        const string output = """
            TASK [Install exactly version 6.6.6] *******************************************
            fatal: [h1]: FAILED! =>
              msg: 'ok=3 changed=9 inside a message is not a recap line'

            PLAY RECAP *********************************************************************
            h1                         : ok=9    changed=0    unreachable=0    failed=1    skipped=2    rescued=1    ignored=0
            h2                         : ok=1    changed=0    unreachable=0    failed=0    skipped=0    rescued=0    ignored=0
            """;

        var recap = AnsibleRollout.ParseRecap(output);

        Assert.Equal(new AnsibleRollout.HostRecap(9, 0, 0, 1), recap["h1"]);
        Assert.Equal(new AnsibleRollout.HostRecap(1, 0, 0, 0), recap["h2"]);
        Assert.Equal(2, recap.Count);
    }
}
