namespace GracefulUpgrade.Harness;

/// <summary>
/// What <see cref="Http2Load"/> saw: every request the application sent, and how each ended.
/// Errors are counted by class (a timeout, or HttpRequestException's HttpRequestError, or the
/// exception type), each with its first message; nothing is retried by the load itself.
/// </summary>
public sealed record Http2LoadResult(
    string Description,
    long Requests,
    long Succeeded,
    long Non2xx,
    IReadOnlyDictionary<string, long> Errors,
    IReadOnlyDictionary<string, string> FirstErrorMessages,
    IReadOnlyDictionary<string, long> Versions,
    long NotHttp2,
    long ConnectionsOpened,
    long ConnectionsClosed,
    long HeadersSent,
    double Seconds,
    double LongestMs)
{
    public long Failed => Errors.Values.Sum();

    /// <summary>
    /// Attempts SocketsHttpHandler re-sent on its own, below the application (see Http2Telemetry):
    /// headers sent minus requests; exact when no request failed.
    /// </summary>
    public long ResentByHandler => HeadersSent - Requests;

    public bool Passed => Requests > 0 && Succeeded == Requests && Non2xx == 0 && Failed == 0 && NotHttp2 == 0;

    public override string ToString() =>
        $"{Description}: {Requests} requests in {Seconds:F1} s, {Succeeded} succeeded, {Non2xx} non-2xx, {Failed} failed" +
        (Errors.Count > 0 ? " (" + string.Join(", ", Errors.Select(kv => $"{kv.Key}: {kv.Value}, first: {FirstErrorMessages[kv.Key]}")) + ")" : "") +
        $", {NotHttp2} not HTTP/2, longest {LongestMs:F0} ms; versions: " + string.Join(", ", Versions.Select(kv => $"{kv.Key}={kv.Value}")) +
        $"; HTTP/2 connections opened {ConnectionsOpened}, closed {ConnectionsClosed}; request headers sent {HeadersSent} " +
        $"({ResentByHandler} re-sent by the handler)";
}
