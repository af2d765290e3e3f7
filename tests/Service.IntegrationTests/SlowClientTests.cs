using System.Diagnostics;
using GracefulUpgrade.TestSupport;

namespace GracefulUpgrade.IntegrationTests;

/// <summary>
/// Clients that never finish their request headers must not hold the stop until the shutdown
/// deadline, while a complete request in flight beside them still finishes.
/// </summary>
[Collection(BinariesCollection.Name)]
public sealed class SlowClientTests(PublishedBinaries binaries)
{
    // Kestrel's RequestHeadersTimeout (Hosting/KestrelLimits.cs); the stop timeline in the unit
    // file's header says from when it counts.
    private static readonly TimeSpan HeadersTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task ClientsThatNeverFinishTheirHeadersAreCutAtTheHeadersTimeoutWhileARequestInFlightCompletes()
    {
        int port = ServiceProcess.FreePort();
        await using var service = await ServiceProcess.StartReadyAsync(binaries.V1, port, ["--Service:DelayEndpoint:Enabled=true"]);
        await using var trickling = await TricklingClients.OpenAsync(port, 50);
        // Still running when the slow clients are cut, and well before the 20 s deadline.
        using var held = await HeldRequest.SendAsync(port, "/delay?ms=12500");
        await held.WaitUntilReadByServerAsync(TimeSpan.FromSeconds(10));
        await trickling.WaitUntilAcceptedAsync(TimeSpan.FromSeconds(10));

        var stopAt = trickling.Now;
        var stopwatch = Stopwatch.StartNew();
        service.Terminate();

        // Each is cut once it has been at its headers for the timeout, which for clients opened
        // before the stop is before the timeout counted from the stop.
        var closedAt = await trickling.ClosedAtAsync(Deadline);
        for (int i = 0; i < trickling.Count; i++)
        {
            Assert.InRange(closedAt[i] - trickling.OpenedAt[i], HeadersTimeout - TimeSpan.FromSeconds(0.5), HeadersTimeout + TimeSpan.FromSeconds(1.5));
            Assert.True(closedAt[i] > stopAt, "cut by the stop, not before it");
        }

        var response = await held.ResponseAsync(Deadline);
        Assert.NotNull(response);
        Assert.Equal(200, response.Status);
        Assert.Equal(0, await service.WaitForExitAsync(Deadline));
        Assert.InRange(stopwatch.Elapsed, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(16));

        // Event ids (Logging/Log.cs): 16 the cut at the headers timeout, 15 the shutdown deadline.
        JournalEvents.AssertHas(service.Log, ServiceEvent.IncompleteRequestsAborted);
        JournalEvents.AssertHasNot(service.Log, ServiceEvent.ShutdownDeadlineReached);
    }
}
