namespace GracefulUpgrade.UpgradeDemo.Load;

/// <summary>One sampler request: when it was sent, how long it took, who answered (X-App-Version), or what went wrong.</summary>
internal sealed record Sample(TimeSpan Sent, TimeSpan Latency, string? Version, int Status, string? Error)
{
    public TimeSpan Answered => Sent + Latency;

    public bool Ok => Error is null && Status is >= 200 and <= 299;
}
