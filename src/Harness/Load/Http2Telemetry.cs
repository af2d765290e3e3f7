using System.Diagnostics.Tracing;

namespace GracefulUpgrade.Harness;

/// <summary>
/// What .NET's HTTP client did on the wire for one port, read from its public "System.Net.Http"
/// EventSource (the events dotnet-counters and dotnet-trace show): HTTP/2 connections opened and
/// closed, and request headers sent. SocketsHttpHandler
/// re-sends, on another connection, a request whose stream the server refused or that met a
/// connection already going away (RFC 9113 §6.8: a stream above GOAWAY's last-stream-id was
/// never processed); the application never sees that. Each such attempt sends the headers
/// again, so headers sent minus requests started is the number of re-sent attempts, exactly
/// so when every request got a response (a request that failed before its headers went out
/// would lower it). The listener is process-wide: only connections to the given port count.
/// </summary>
internal sealed class Http2Telemetry : EventListener
{
    private const string HttpSource = "System.Net.Http";
    private const int ConnectionEstablished = 4, ConnectionClosed = 5, RequestHeadersStart = 7;

    private readonly int _port;
    private readonly HashSet<long> _connections = [];
    private readonly Lock _gate = new();
    private long _opened, _closed, _headers;

    public Http2Telemetry(int port)
    {
        // EventListener's constructor may already have called OnEventSourceCreated: events
        // before this line are not ours (nothing has been sent yet).
        _port = port;
    }

    public long ConnectionsOpened => Interlocked.Read(ref _opened);

    public long ConnectionsClosed => Interlocked.Read(ref _closed);

    public long HeadersSent => Interlocked.Read(ref _headers);

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == HttpSource)
        {
            EnableEvents(source, EventLevel.Informational);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (e.EventSource.Name != HttpSource || _port == 0)
        {
            return;
        }
        switch (e.EventId)
        {
            case ConnectionEstablished when Payload<byte>(e, "versionMajor") == 2 && Payload<int>(e, "port") == _port:
                lock (_gate)
                {
                    _connections.Add(Payload<long>(e, "connectionId"));
                }
                Interlocked.Increment(ref _opened);
                break;
            case ConnectionClosed when Ours(Payload<long>(e, "connectionId")):
                Interlocked.Increment(ref _closed);
                break;
            case RequestHeadersStart when Ours(Payload<long>(e, "connectionId")):
                Interlocked.Increment(ref _headers);
                break;
        }
    }

    private bool Ours(long connectionId)
    {
        lock (_gate)
        {
            return _connections.Contains(connectionId);
        }
    }

    private static T? Payload<T>(EventWrittenEventArgs e, string name)
    {
        var index = e.PayloadNames?.IndexOf(name) ?? -1;
        return index >= 0 && e.Payload?[index] is T value ? value : default;
    }
}
