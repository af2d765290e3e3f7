namespace GracefulUpgrade.UpgradeDemo.Upgrade;

/// <summary>One step, when it happened on the demo's clock, and how to say it.</summary>
internal sealed record StepRecord(UpgradeStep Step, TimeSpan At, string Text);
