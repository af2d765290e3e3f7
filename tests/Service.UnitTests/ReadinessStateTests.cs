using GracefulUpgrade.Service.Lifetime;

namespace GracefulUpgrade.UnitTests;

public sealed class ReadinessStateTests
{
    [Fact]
    public void StartsNotReady()
    {
        var state = new ReadinessState();
        Assert.Equal(ReadinessPhase.Starting, state.Phase);
        Assert.False(state.IsDraining);
    }

    [Fact]
    public void BecomesReadyOnce()
    {
        var state = new ReadinessState();
        Assert.True(state.MarkReady());
        Assert.False(state.MarkReady());
        Assert.Equal(ReadinessPhase.Ready, state.Phase);
    }

    [Fact]
    public void DrainingIsFinalEvenIfTheSelfCheckFinishesLater()
    {
        var state = new ReadinessState();
        state.MarkDraining();
        Assert.False(state.MarkReady());
        Assert.Equal(ReadinessPhase.Draining, state.Phase);
        Assert.True(state.IsDraining);
    }
}
