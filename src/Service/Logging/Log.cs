using Microsoft.Extensions.Logging;

namespace GracefulUpgrade.Service.Logging;

/// <summary>
/// Every event the service logs, with fixed ids so tests and tools match on the id, never on
/// the wording. The id is not a journal field of its own: under systemd the console formatter
/// writes it into the message, so a journal line's MESSAGE reads "Category[EventId] text"
/// (e.g. "GracefulUpgrade.Service.Lifetime.ConnectionDrainer[12] Drain finished in 3 ms ...").
/// </summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "graceful-upgrade-example {Version} (pid {Pid}) listening on {Listen} with SO_REUSEPORT, backlog {Backlog}")]
    public static partial void Listening(ILogger logger, string version, int pid, string listen, int backlog);

    [LoggerMessage(2, LogLevel.Information, "Self-check passed: this process answered GET /healthz on its private loopback port {Port} after {Attempts} attempt(s) in {ElapsedMs} ms; signalling ready")]
    public static partial void SelfCheckPassed(ILogger logger, int port, int attempts, long elapsedMs);

    [LoggerMessage(3, LogLevel.Warning, "Self-check attempt {Attempt} failed ({Reason}); retrying in {DelayMs} ms")]
    public static partial void SelfCheckRetry(ILogger logger, int attempt, string reason, long delayMs);

    [LoggerMessage(4, LogLevel.Information, "Ready after {ElapsedMs} ms since process start")]
    public static partial void Ready(ILogger logger, long elapsedMs);

    [LoggerMessage(5, LogLevel.Information, "TLS self-check passed: {Protocol} handshake with the configured certificate (serial {Serial}, valid until {NotAfter:u}) and GET /healthz on private loopback port {Port}")]
    public static partial void TlsSelfCheckPassed(ILogger logger, int port, string protocol, string serial, DateTime notAfter);

    [LoggerMessage(10, LogLevel.Information, "Drain started: closed the listener on {Listen}; queued connections move to the other instances in the port group. {Connections} connection(s) open")]
    public static partial void ListenerClosed(ILogger logger, string listen, int connections);

    [LoggerMessage(11, LogLevel.Information, "Draining: {Connections} connection(s) remaining after {ElapsedMs} ms")]
    public static partial void ConnectionsRemaining(ILogger logger, int connections, long elapsedMs);

    [LoggerMessage(12, LogLevel.Information, "Drain finished in {ElapsedMs} ms: every connection closed")]
    public static partial void DrainFinished(ILogger logger, long elapsedMs);

    [LoggerMessage(13, LogLevel.Warning, "Drain window of {WindowMs} ms ended with {Connections} connection(s) open; closing idle ones now and giving running requests until the {ShutdownTimeoutMs} ms shutdown deadline, after which they are aborted")]
    public static partial void DrainWindowEnded(ILogger logger, long windowMs, int connections, long shutdownTimeoutMs);

    [LoggerMessage(14, LogLevel.Information, "Stopped {ElapsedMs} ms after the stop began")]
    public static partial void Stopped(ILogger logger, long elapsedMs);

    [LoggerMessage(15, LogLevel.Warning, "Shutdown deadline (Service:ShutdownTimeoutSeconds) reached after {ElapsedMs} ms: aborting {Connections} connection(s) still open")]
    public static partial void ShutdownDeadlineReached(ILogger logger, long elapsedMs, int connections);

    [LoggerMessage(16, LogLevel.Warning, "Aborted {Aborted} connection(s) that sent no complete request within the request-headers timeout of {HeadersTimeoutMs} ms, {ElapsedMs} ms after the stop began; {InRequest} with a request in flight go on")]
    public static partial void IncompleteRequestsAborted(ILogger logger, long headersTimeoutMs, int aborted, int inRequest, long elapsedMs);

    [LoggerMessage(17, LogLevel.Information, "Drain: asked {Connections} HTTP/2 connection(s) to close (GOAWAY); their open streams finish, new ones go to the other instances")]
    public static partial void Http2GoAwaySent(ILogger logger, int connections);

    [LoggerMessage(20, LogLevel.Critical, "{Message}")]
    public static partial void StartupFailed(ILogger logger, string message);
    [LoggerMessage(30, LogLevel.Information, "Reload requested: pid {Pid} started successor pid {SuccessorPid} ({Binary}); it serves once it has passed its self-check")]
    public static partial void ReloadRequested(ILogger logger, int pid, int successorPid, string binary);

    [LoggerMessage(31, LogLevel.Information, "Reload: successor pid {SuccessorPid} ready after {ElapsedMs} ms and made the main process; pid {Pid} now drains")]
    public static partial void SuccessorReady(ILogger logger, int successorPid, long elapsedMs, int pid);

    [LoggerMessage(32, LogLevel.Information, "Reload: old pid {Pid} drained and stopped {ElapsedMs} ms after the handover")]
    public static partial void PredecessorDrained(ILogger logger, int pid, long elapsedMs);

    [LoggerMessage(33, LogLevel.Error, "Reload failed: {Cause}; pid {Pid} keeps serving")]
    public static partial void ReloadFailed(ILogger logger, int pid, string cause);

    [LoggerMessage(34, LogLevel.Warning, "Reload request ignored: pid {Pid} is not idle and serving (reload phase {Phase})")]
    public static partial void ReloadIgnored(ILogger logger, int pid, string phase);

    [LoggerMessage(35, LogLevel.Warning, "Ready signal of successor pid {SuccessorPid} ignored (reload phase {Phase})")]
    public static partial void SuccessorReadyIgnored(ILogger logger, int successorPid, string phase);

    [LoggerMessage(36, LogLevel.Warning, "Stopping during a reload: successor pid {SuccessorPid} had not taken over and is stopped too")]
    public static partial void StoppingStartingSuccessor(ILogger logger, int successorPid);

    [LoggerMessage(37, LogLevel.Information, "Pid {Pid} is the main process now, taking over from pid {PredecessorPid}")]
    public static partial void TookOver(ILogger logger, int pid, int predecessorPid);

    [LoggerMessage(38, LogLevel.Critical, "Predecessor pid {PredecessorPid} is gone before this process could take over from it; stopping")]
    public static partial void PredecessorGone(ILogger logger, int predecessorPid);

    [LoggerMessage(39, LogLevel.Information, "Waited {ElapsedMs} ms for predecessor pid {PredecessorPid} to finish draining before exiting")]
    public static partial void WaitedForPredecessor(ILogger logger, int predecessorPid, long elapsedMs);

    [LoggerMessage(40, LogLevel.Error, "Successor pid {SuccessorPid} {Exit} after it had become the main process, while this process was draining")]
    public static partial void SuccessorExitedAfterTakeover(ILogger logger, int successorPid, string exit);
}
