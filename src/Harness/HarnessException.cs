namespace GracefulUpgrade.Harness;

/// <summary>A tool the harness drives failed or missed its deadline: the run cannot go on.</summary>
public class HarnessException(string message) : InvalidOperationException(message);
