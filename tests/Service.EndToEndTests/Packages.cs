using GracefulUpgrade.TestSupport;

namespace GracefulUpgrade.EndToEndTests;

/// <summary>The real .deb of each version, built once and shared by every scenario.</summary>
public sealed class Packages : IAsyncLifetime
{
    private readonly Dictionary<string, string> _debs = [];

    public string this[string version] => _debs[version];

    public async Task InitializeAsync()
    {
        foreach (var version in new[] { Artifacts.V1, Artifacts.V2, Artifacts.V3, Artifacts.V4, Artifacts.V5, Artifacts.Faulty })
        {
            _debs[version] = await Artifacts.DebAsync(version);
        }
    }

    public Task DisposeAsync() => Task.CompletedTask;
}

[CollectionDefinition(Name)]
public sealed class PackagesCollection : ICollectionFixture<Packages>
{
    public const string Name = "packages";
}
