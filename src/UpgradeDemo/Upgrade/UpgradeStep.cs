namespace GracefulUpgrade.UpgradeDemo.Upgrade;

/// <summary>The handover as it happens, in the order it normally happens.</summary>
internal enum UpgradeStep
{
    DpkgStarted,
    NewStarting,
    NewListening,
    NewReady,
    OldDraining,
    OldDrained,
    OldStopped,
    DpkgFinished,
}
