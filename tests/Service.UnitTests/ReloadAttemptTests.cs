using GracefulUpgrade.Service.Lifetime;

namespace GracefulUpgrade.UnitTests;

public sealed class ReloadAttemptTests
{
    [Fact]
    public void AReadySuccessorTakesOverAndNoSecondReloadStartsMeanwhile()
    {
        var attempt = new ReloadAttempt();

        Assert.True(attempt.TryBegin());
        Assert.False(attempt.TryBegin());
        attempt.SuccessorStarted(4242);
        Assert.True(attempt.TryHandOver(out int successor));

        Assert.Equal(4242, successor);
        Assert.Equal(ReloadPhase.HandedOver, attempt.Phase);
        Assert.False(attempt.TryBegin());
        Assert.False(attempt.TryFail()); // its exit after taking over does not undo the handover
        Assert.Equal(0, attempt.BeginStop()); // and a stop now leaves it serving
    }

    [Fact]
    public void AFailedSuccessorLeavesThisProcessServingAndReadyForTheNextReload()
    {
        var attempt = new ReloadAttempt();
        attempt.TryBegin();
        attempt.SuccessorStarted(4242);

        Assert.True(attempt.TryFail());
        Assert.False(attempt.TryFail());
        Assert.Equal(ReloadPhase.Idle, attempt.Phase);
        Assert.False(attempt.TryHandOver(out _)); // a late ready signal of the failed one is ignored
        Assert.True(attempt.TryBegin());
    }

    [Fact]
    public void StopWhileTheSuccessorStartsNamesItToBeStoppedAndRefusesItsHandover()
    {
        var attempt = new ReloadAttempt();
        attempt.TryBegin();
        attempt.SuccessorStarted(4242);

        Assert.Equal(4242, attempt.BeginStop());
        Assert.False(attempt.TryHandOver(out _));
        Assert.False(attempt.TryBegin());
        Assert.Equal(ReloadPhase.Stopping, attempt.Phase);
    }

    [Fact]
    public void ReadySignalBeforeTheSuccessorPidIsKnownIsRefused()
    {
        var attempt = new ReloadAttempt();
        attempt.TryBegin();

        Assert.False(attempt.TryHandOver(out _));
        Assert.Equal(ReloadPhase.SuccessorStarting, attempt.Phase);
    }

    [Theory]
    [InlineData(78, "status 78 (invalid configuration")]
    [InlineData(69, "status 69 (cannot listen")]
    [InlineData(70, "status 70 (start-up or self-check failure")]
    [InlineData(137, "killed by signal 9")]
    [InlineData(1, "exited with status 1")]
    public void ExitStatusOfAFailedSuccessorIsExplained(int exitCode, string expected) =>
        Assert.Contains(expected, ReloadAttempt.DescribeExit(exitCode));

    [Fact]
    public void TheAnswerForTheReloadScriptIsOneLine()
    {
        Assert.Equal("ready 4242", ReloadResultFile.Ready(4242));
        Assert.Equal("failed a b", ReloadResultFile.Failed("a\nb"));
    }
}
