using GracefulUpgrade.TestSupport;

namespace GracefulUpgrade.IntegrationTests;

/// <summary>The published binaries, built once for every test in this assembly.</summary>
public sealed class PublishedBinaries : IAsyncLifetime
{
    public string V1 { get; private set; } = "";
    public string V2 { get; private set; } = "";
    public string Faulty { get; private set; } = "";

    public async Task InitializeAsync()
    {
        V1 = await Artifacts.BinaryAsync(Artifacts.V1);
        V2 = await Artifacts.BinaryAsync(Artifacts.V2);
        Faulty = await Artifacts.BinaryAsync(Artifacts.Faulty);
    }

    public Task DisposeAsync() => Task.CompletedTask;
}

[CollectionDefinition(Name)]
public sealed class BinariesCollection : ICollectionFixture<PublishedBinaries>
{
    public const string Name = "published binaries";
}
