using GracefulUpgrade.TestSupport;
using Xunit.Abstractions;

namespace GracefulUpgrade.EndToEndTests;

/// <summary>
/// Slow clients, which anyone can open, against a real upgrade: they may delay it by the
/// request-headers timeout at most, never to the shutdown deadline, and the normal clients
/// beside them lose nothing.
/// </summary>
[Collection(PackagesCollection.Name)]
public sealed class SlowClientTests(Packages packages, ITestOutputHelper output) : IClassFixture<MigrateReqFixture>
{
    private static readonly string V1 = Artifacts.V1, V2 = Artifacts.V2;

    // The old instance's stop: at most the 10 s headers timeout (the unit file's stop
    // timeline), plus the new instance's start and dpkg's own work.
    private static readonly TimeSpan UpgradeBound = TimeSpan.FromSeconds(12);

    [Fact]
    public async Task TwoHundredClientsTricklingTheirHeadersDelayAnUpgradeUnderLoadByAtMostTheHeadersTimeout()
    {
        await using var box = await SystemdBox.StartAsync("slow-clients");
        (await box.DpkgInstallAsync(packages[V1])).EnsureSuccess("install v1");
        TricklingClients? trickling = null;
        TimeSpan upgradeStart = default, upgradeTook = default;

        // Opened just before dpkg, under the load: outside a stop, Kestrel cuts a client after
        // 10 s at its headers by itself, so older ones would be gone before the upgrade.
        var outcome = await LoadScenario.UnderAbAsync(output, async () =>
        {
            trickling = await TricklingClients.OpenAsync(SystemdBox.Port, 200);
            await trickling.WaitUntilAcceptedAsync(TimeSpan.FromSeconds(10));
            upgradeStart = trickling.Now;
            var dpkg = await box.DpkgInstallAsync(packages[V2]);
            upgradeTook = trickling.Now - upgradeStart;
            return dpkg;
        });
        await using var _ = trickling!;

        outcome.Steps[0].EnsureSuccess("dpkg -i v2");
        output.WriteLine($"dpkg -i v2 with {trickling!.Count} trickling clients: {upgradeTook.TotalMilliseconds:F0} ms");
        Assert.InRange(upgradeTook, TimeSpan.Zero, UpgradeBound);
        LoadScenario.AssertNothingLost(outcome);
        // Every slow client was still open when the upgrade began and was cut by the old
        // instance's stop (event 16, Logging/Log.cs).
        var closedAt = await trickling.ClosedAtAsync(TimeSpan.FromSeconds(30));
        Assert.All(closedAt, at => Assert.True(at > upgradeStart, "a trickling client was gone before the upgrade began"));
        Assert.Contains("ConnectionDrainer[16]", await box.JournalAsync(V1));
        Assert.DoesNotContain("ConnectionDrainer[15]", await box.JournalAsync(V1));
        await BoxAssert.OnlyInstanceAsync(box, V2);
    }
}
