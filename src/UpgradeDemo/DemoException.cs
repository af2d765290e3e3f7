namespace GracefulUpgrade.UpgradeDemo;

/// <summary>The demo could not run (not: the upgrade lost requests). Exit code 2.</summary>
internal sealed class DemoException(string message) : Exception(message);
