namespace GracefulUpgrade.Service.Lifetime;

public enum ReadinessPhase
{
    Starting,
    Ready,
    Draining,
}

/// <summary>What GET /readyz reports, and whether responses ask clients to reconnect.</summary>
public sealed class ReadinessState
{
    private int _phase = (int)ReadinessPhase.Starting;

    public ReadinessPhase Phase => (ReadinessPhase)Volatile.Read(ref _phase);

    public bool IsDraining => Phase == ReadinessPhase.Draining;

    /// <summary>Starting to Ready only: a drain that began during start-up stays a drain.</summary>
    public bool MarkReady() =>
        Interlocked.CompareExchange(ref _phase, (int)ReadinessPhase.Ready, (int)ReadinessPhase.Starting)
            == (int)ReadinessPhase.Starting;

    public void MarkDraining() => Volatile.Write(ref _phase, (int)ReadinessPhase.Draining);
}
