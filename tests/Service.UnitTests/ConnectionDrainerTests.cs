using GracefulUpgrade.Service.Lifetime;
using GracefulUpgrade.Service.Listening;
using GracefulUpgrade.Service.Options;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Time.Testing;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace GracefulUpgrade.UnitTests;

/// <summary>
/// The drain's timing rules on a fake clock. The tracker is the real one; the listener and
/// Kestrel are not there, so the tests play the accept loop (AcceptingStarted/Ended) and the
/// connections (DefaultConnectionContext) themselves.
/// </summary>
public sealed class ConnectionDrainerTests
{
    private const int ListenerClosed = 10, ConnectionsRemaining = 11, DrainFinished = 12, DrainWindowEnded = 13,
        Stopped = 14, ShutdownDeadlineReached = 15, IncompleteRequestsAborted = 16;

    // Generous: only ever reached when the drain fails to end, which then fails the test fast.
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(10);

    private readonly FakeTimeProvider _time = new();
    private readonly ConnectionTracker _tracker;
    private readonly RecordingLogger<ConnectionDrainer> _log = new();
    private readonly ReadinessState _readiness = new();
    private readonly ConnectionDrainer _drainer;

    public ConnectionDrainerTests()
    {
        _tracker = new ConnectionTracker(_time);
        var service = new ServiceOptions { DrainWindowSeconds = 2, ShutdownTimeoutSeconds = 20 };
        var kestrel = new KestrelServerOptions();
        kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(10);
        _drainer = new ConnectionDrainer(new ListenerSockets(), _tracker, _readiness,
            MsOptions.Create(service), MsOptions.Create(kestrel), _time, _log);
        _tracker.AcceptingStarted();
    }

    [Fact]
    public async Task EndsAtOnceWhenAcceptingHasEndedAndNoConnectionIsOpen()
    {
        var drain = _drainer.StoppingAsync(CancellationToken.None);
        _tracker.AcceptingEnded();

        await drain.WaitAsync(Hang);
        Assert.True(_readiness.IsDraining);
        Assert.Equal([ListenerClosed, DrainFinished], _log.EventIds);
    }

    [Fact]
    public async Task WaitsForTheAcceptLoopToEndEvenWithNoConnectionOpen()
    {
        // A socket accepted just before the listener closed is counted only once AcceptAsync
        // has returned it; until the loop has ended, a count of zero proves nothing.
        var drain = _drainer.StoppingAsync(CancellationToken.None);
        _time.Advance(TimeSpan.FromMilliseconds(300));
        Assert.False(drain.IsCompleted);

        _tracker.AcceptingEnded();
        await drain.WaitAsync(Hang);
        Assert.Contains(DrainFinished, _log.EventIds);
    }

    [Fact]
    public async Task EndsWhenTheLastConnectionIsDisposedBeforeTheWindow()
    {
        var first = _tracker.Add(new DefaultConnectionContext("first"));
        var second = _tracker.Add(new DefaultConnectionContext("second"));
        var drain = _drainer.StoppingAsync(CancellationToken.None);
        _tracker.AcceptingEnded();

        await first.DisposeAsync();
        _time.Advance(TimeSpan.FromMilliseconds(700));
        Assert.False(drain.IsCompleted);
        Assert.Equal(1, _tracker.Open);

        await second.DisposeAsync();
        await drain.WaitAsync(Hang);
        Assert.Equal(0, _tracker.Open);
        Assert.Equal([ListenerClosed, ConnectionsRemaining, DrainFinished], _log.EventIds);
    }

    [Fact]
    public async Task EndsAtTheWindowWithConnectionsStillOpenAndReportsProgressOnTheWay()
    {
        _tracker.Add(new DefaultConnectionContext("stays"));
        var drain = _drainer.StoppingAsync(CancellationToken.None);
        _tracker.AcceptingEnded();

        for (int step = 0; step < 19; step++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(100));
        }
        Assert.False(drain.IsCompleted, "1.9 s into a 2 s window");

        _time.Advance(TimeSpan.FromMilliseconds(100));
        await drain.WaitAsync(Hang);
        Assert.Equal([ListenerClosed, ConnectionsRemaining, ConnectionsRemaining, ConnectionsRemaining, DrainWindowEnded],
            _log.EventIds);
    }

    [Fact]
    public async Task ShutdownDeadlineEndsTheDrainAndIsLogged()
    {
        _tracker.Add(new DefaultConnectionContext("stays"));
        using var deadline = new CancellationTokenSource();
        var drain = _drainer.StoppingAsync(deadline.Token);

        deadline.Cancel();
        await drain.WaitAsync(Hang);
        // The deadline's own event and the drain's end race each other: both, in either order.
        Assert.Equal([ListenerClosed, DrainWindowEnded, ShutdownDeadlineReached], _log.EventIds.Order());
    }

    [Fact]
    public async Task AConnectionWithoutARequestIsCutOnceItHasWaitedTheHeadersTimeoutAndARequestInFlightGoesOn()
    {
        var early = new DefaultConnectionContext("early");
        _tracker.Add(early);
        _time.Advance(TimeSpan.FromSeconds(4));
        var late = new DefaultConnectionContext("late");
        _tracker.Add(late);
        var busy = new DefaultConnectionContext("busy");
        _tracker.Add(busy).RequestStarted();
        _time.Advance(TimeSpan.FromSeconds(1));

        var drain = _drainer.StoppingAsync(CancellationToken.None);
        _tracker.AcceptingEnded();
        _time.Advance(TimeSpan.FromSeconds(2));
        await drain.WaitAsync(Hang);

        // "early" has waited 10 s (accepted 5 s before the drain): cut 5 s into the stop.
        await AssertCutAfterAsync(early, TimeSpan.FromSeconds(3));
        Assert.False(late.ConnectionClosed.IsCancellationRequested);

        // "late" has waited 10 s 9 s into the stop.
        _time.Advance(TimeSpan.FromSeconds(4));
        await WaitUntilClosed(late.ConnectionClosed);
        Assert.False(busy.ConnectionClosed.IsCancellationRequested, "a request in flight runs until the shutdown deadline");
        Assert.Equal(2, _log.EventIds.Count(id => id == IncompleteRequestsAborted));
    }

    [Fact]
    public async Task AtTheHeadersTimeoutAfterTheDrainBeganEveryConnectionWithoutARequestIsCut()
    {
        // Its last response ended 1 s into the drain: waiting 10 s would end at 11 s.
        var keptAlive = new DefaultConnectionContext("kept-alive");
        var tracked = _tracker.Add(keptAlive);
        tracked.RequestStarted();
        var drain = _drainer.StoppingAsync(CancellationToken.None);
        _tracker.AcceptingEnded();
        _time.Advance(TimeSpan.FromSeconds(1));
        tracked.RequestEnded(_time.GetTimestamp());
        _time.Advance(TimeSpan.FromSeconds(1));
        await drain.WaitAsync(Hang);

        await AssertCutAfterAsync(keptAlive, TimeSpan.FromSeconds(8));

        await _drainer.StoppedAsync(CancellationToken.None);
        Assert.Equal(Stopped, _log.EventIds[^1]);
    }

    [Fact]
    public async Task NoConnectionIsAbortedWhenTheStopEndsBeforeTheHeadersTimeout()
    {
        var idle = new DefaultConnectionContext("idle");
        var tracked = _tracker.Add(idle);
        var drain = _drainer.StoppingAsync(CancellationToken.None);
        _tracker.AcceptingEnded();
        await tracked.DisposeAsync();
        await drain.WaitAsync(Hang);
        await _drainer.StoppedAsync(CancellationToken.None);

        _time.Advance(TimeSpan.FromSeconds(30));
        Assert.DoesNotContain(IncompleteRequestsAborted, _log.EventIds);
    }

    /// <summary>Open until 100 ms before <paramref name="after"/> from now, closed at it.</summary>
    private async Task AssertCutAfterAsync(DefaultConnectionContext connection, TimeSpan after)
    {
        _time.Advance(after - TimeSpan.FromMilliseconds(100));
        Assert.False(connection.ConnectionClosed.IsCancellationRequested, $"{connection.ConnectionId} cut too early");
        _time.Advance(TimeSpan.FromMilliseconds(100));
        await WaitUntilClosed(connection.ConnectionClosed);
    }

    private static async Task WaitUntilClosed(CancellationToken closed)
    {
        // DefaultConnectionContext signals an abort on the thread pool.
        var signalled = new TaskCompletionSource();
        using var registration = closed.Register(() => signalled.TrySetResult());
        await signalled.Task.WaitAsync(Hang);
    }
}
