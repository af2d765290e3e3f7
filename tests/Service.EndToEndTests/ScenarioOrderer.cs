using Xunit.Abstractions;
using Xunit.Sdk;

namespace GracefulUpgrade.EndToEndTests;

/// <summary>The place of a scenario in a class whose scenarios share one expensive fixture (e.g. a booted fleet).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ScenarioAttribute(int order) : Attribute
{
    public int Order { get; } = order;
}

/// <summary>
/// Runs a class's tests in their [Scenario(n)] order. Each scenario still sets up the state it
/// starts from; the order only keeps one that leaves a host broken on purpose for the end.
/// </summary>
public sealed class ScenarioOrderer : ITestCaseOrderer
{
    public const string TypeName = "GracefulUpgrade.EndToEndTests.ScenarioOrderer";
    public const string AssemblyName = "Service.EndToEndTests";

    public IEnumerable<TTestCase> OrderTestCases<TTestCase>(IEnumerable<TTestCase> testCases) where TTestCase : ITestCase =>
        testCases.OrderBy(t => t.TestMethod.Method.GetCustomAttributes(typeof(ScenarioAttribute).AssemblyQualifiedName)
            .FirstOrDefault()?.GetConstructorArguments().Cast<int>().First() ?? int.MaxValue);
}
