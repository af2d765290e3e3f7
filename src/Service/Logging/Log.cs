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

    [LoggerMessage(20, LogLevel.Critical, "{Message}")]
    public static partial void StartupFailed(ILogger logger, string message);
}
