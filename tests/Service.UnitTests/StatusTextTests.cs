using GracefulUpgrade.Service.Lifetime;

namespace GracefulUpgrade.UnitTests;

public sealed class StatusTextTests
{
    [Fact]
    public void ServingNamesTheVersionTheAddressAndTheConnections()
    {
        Assert.Equal("Serving 1.2.0 on 0.0.0.0:8080, 37 connections", StatusText.Format(ReadinessPhase.Ready, "1.2.0", "0.0.0.0:8080", 37));
        Assert.Equal("Serving 1.2.0 on [::]:80, 1 connection", StatusText.Format(ReadinessPhase.Ready, "1.2.0", "[::]:80", 1));
        Assert.Equal("Serving 1.2.0 on 0.0.0.0:8080, 0 connections", StatusText.Format(ReadinessPhase.Ready, "1.2.0", "0.0.0.0:8080", 0));
    }

    [Fact]
    public void DrainingCountsTheConnectionsLeft()
    {
        Assert.Equal("Draining: 12 connections left", StatusText.Format(ReadinessPhase.Draining, "1.2.0", "0.0.0.0:8080", 12));
        Assert.Equal("Draining: 1 connection left", StatusText.Format(ReadinessPhase.Draining, "1.2.0", "0.0.0.0:8080", 1));
    }

    [Fact]
    public void StartingSaysWhatItWillServe()
    {
        Assert.Equal("Starting 1.2.0 on 0.0.0.0:8080", StatusText.Format(ReadinessPhase.Starting, "1.2.0", "0.0.0.0:8080", 0));
    }

    [Fact]
    public void TheFirstLineGoesOutAtOnce()
    {
        Assert.True(StatusText.ShouldSend("Starting 1.2.0 on 0.0.0.0:8080", ReadinessPhase.Starting, null, ReadinessPhase.Starting, TimeSpan.Zero));
    }

    [Fact]
    public void AnUnchangedLineIsNeverSentAgain()
    {
        Assert.False(StatusText.ShouldSend("Serving 1.2.0 on 0.0.0.0:8080, 3 connections", ReadinessPhase.Ready,
            "Serving 1.2.0 on 0.0.0.0:8080, 3 connections", ReadinessPhase.Ready, TimeSpan.FromMinutes(5)));
    }

    [Fact]
    public void AChangedCountWaitsForTheIntervalButAChangedPhaseDoesNot()
    {
        var sent = "Serving 1.2.0 on 0.0.0.0:8080, 3 connections";
        var justUnder = StatusText.MinInterval - TimeSpan.FromMilliseconds(1);
        Assert.False(StatusText.ShouldSend("Serving 1.2.0 on 0.0.0.0:8080, 4 connections", ReadinessPhase.Ready, sent, ReadinessPhase.Ready, justUnder));
        Assert.True(StatusText.ShouldSend("Serving 1.2.0 on 0.0.0.0:8080, 4 connections", ReadinessPhase.Ready, sent, ReadinessPhase.Ready, StatusText.MinInterval));
        Assert.True(StatusText.ShouldSend("Draining: 3 connections left", ReadinessPhase.Draining, sent, ReadinessPhase.Ready, TimeSpan.Zero));
    }
}
