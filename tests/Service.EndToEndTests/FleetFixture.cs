using GracefulUpgrade.TestSupport;

namespace GracefulUpgrade.EndToEndTests;

/// <summary>
/// One fleet for the whole FleetTests class (booting it is the slow part): 4 hosts behind
/// HAProxy, a signed repository holding 1.0.0, 2.0.0 and the test-only faulty build, and every
/// host on 1.0.0 through the playbook itself. net.ipv4.tcp_migrate_req=1 on the host, whose
/// network namespace the boxes share.
/// </summary>
public sealed class FleetFixture : IAsyncLifetime
{
    public const int Hosts = 4;

    private MigrateReqSysctl? _sysctl;

    public Fleet Fleet { get; private set; } = null!;

    public RunClock Clock { get; } = new();

    /// <summary>The first rollout, installing 1.0.0 on fresh hosts.</summary>
    public AnsibleRollout.Result FirstInstall { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _sysctl = new MigrateReqSysctl();
        var debs = new List<string>();
        foreach (var version in new[] { Artifacts.V1, Artifacts.V2, Artifacts.Faulty })
        {
            debs.Add(await Artifacts.DebAsync(version));
        }
        Fleet = await Fleet.UpAsync(Hosts, debs);
        FirstInstall = await AnsibleRollout.RunAsync(Fleet.Inventory, Artifacts.V1, Clock);
        if (!FirstInstall.Succeeded)
        {
            // The fleet would otherwise stay up: xunit does not dispose a fixture that failed to start.
            await DisposeAsync();
            throw new HarnessException($"installing {Artifacts.V1} on the fleet failed: {FirstInstall}\n{FirstInstall.Output}");
        }
    }

    public async Task DisposeAsync()
    {
        if (Fleet is not null)
        {
            await Fleet.DisposeAsync();
        }
        _sysctl?.Dispose();
    }
}
