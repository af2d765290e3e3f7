namespace GracefulUpgrade.Harness;

/// <summary>
/// The service's log events by their fixed ids, as src/Service/Logging/Log.cs defines them
/// (a unit test, ServiceEventTests, holds the two together). Steps are found by these ids, never
/// by a message's wording.
/// </summary>
public enum ServiceEvent
{
    Listening = 1,
    SelfCheckPassed = 2,
    SelfCheckRetry = 3,
    Ready = 4,
    TlsSelfCheckPassed = 5,
    ListenerClosed = 10,
    ConnectionsRemaining = 11,
    DrainFinished = 12,
    DrainWindowEnded = 13,
    Stopped = 14,
    ShutdownDeadlineReached = 15,
    IncompleteRequestsAborted = 16,
    Http2GoAwaySent = 17,
    StartupFailed = 20,
    ReloadRequested = 30,
    SuccessorReady = 31,
    PredecessorDrained = 32,
    ReloadFailed = 33,
    ReloadIgnored = 34,
    SuccessorReadyIgnored = 35,
    StoppingStartingSuccessor = 36,
    TookOver = 37,
    PredecessorGone = 38,
    WaitedForPredecessor = 39,
    SuccessorExitedAfterTakeover = 40,
}
