using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;

namespace GracefulUpgrade.Harness;

/// <summary>
/// HTTP/2 load over https from a client that does what RFC 9113 §6.8 asks on GOAWAY: no new
/// streams on that connection, new streams on a new one (h2load does not: it fails what it had
/// left, nghttp2 issue #1197). .NET's SocketsHttpHandler, in this process: C handlers, each its
/// own connection pool (so C connections), each with M loops sending GET / one after another, so
/// M concurrent streams per connection. Every request is HTTP/2 exactly (ALPN h2, no downgrade);
/// the client timeout is ab's 30 s; the load retries nothing, and every error is counted by
/// class. The handler itself re-sends a request the server never processed (a stream above
/// GOAWAY's last-stream-id, or one that met a connection already going away): that is the
/// protocol's rule, invisible to the application, and counted here (Http2Telemetry).
/// </summary>
public sealed class Http2Load : IAsyncDisposable
{
    /// <summary>ab's default timeout, the one the original experiment ran with.</summary>
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    private readonly Http2Telemetry _telemetry;
    private readonly List<HttpClient> _clients = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly ConcurrentDictionary<string, long> _errors = new();
    private readonly ConcurrentDictionary<string, string> _firstErrors = new();
    private readonly ConcurrentDictionary<string, long> _versions = new();
    private readonly Task _loops;
    private long _requests, _succeeded, _non2xx, _notHttp2, _longestTicks;
    private TimeSpan? _finished;

    private Http2Load(int port, int connections, int streams, TimeSpan duration)
    {
        Description = $"HTTP/2 load: {connections} connection(s) x {streams} concurrent streams for {duration.TotalSeconds:F0} s, https://127.0.0.1:{port}/";
        _telemetry = new Http2Telemetry(port);
        for (int i = 0; i < connections; i++)
        {
            _clients.Add(CreateClient(port));
        }
        _stop.CancelAfter(duration);
        _loops = Task.WhenAll(_clients.SelectMany(client => Enumerable.Range(0, streams).Select(_ => Task.Run(() => LoopAsync(client)))));
    }

    public string Description { get; }

    /// <summary>Requests started so far.</summary>
    public long Progress => Interlocked.Read(ref _requests);

    public static Http2Load Start(int port, int connections, int streams, TimeSpan duration) =>
        new(port, connections, streams, duration);

    private static HttpClient CreateClient(int port)
    {
        var handler = new SocketsHttpHandler
        {
            // One pool per client is one connection at a time; a second one only while the
            // first still finishes its streams after GOAWAY (or beyond the server's stream limit).
            EnableMultipleHttp2Connections = true,
            AllowAutoRedirect = false,
            UseCookies = false,
            UseProxy = false,
            SslOptions =
            {
                // The test's own CA signed the server certificate; trust is openssl's part of
                // the tests (HttpsTests.ServedSerialAsync). This client measures the drain.
                RemoteCertificateValidationCallback = (_, _, _, _) => true,
                TargetHost = "localhost",
            },
        };
        return new HttpClient(handler)
        {
            BaseAddress = new Uri($"https://127.0.0.1:{port}/"),
            Timeout = RequestTimeout,
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
    }

    private async Task LoopAsync(HttpClient client)
    {
        while (!_stop.IsCancellationRequested)
        {
            Interlocked.Increment(ref _requests);
            var sent = _clock.Elapsed;
            try
            {
                // Not cancelled by the end of the run: a request once sent gets its answer or its timeout.
                using var response = await client.GetAsync("/", CancellationToken.None);
                if (response.Version != HttpVersion.Version20)
                {
                    Interlocked.Increment(ref _notHttp2);
                }
                if (response.Headers.TryGetValues("X-App-Version", out var versions))
                {
                    _versions.AddOrUpdate(string.Join(",", versions), 1, (_, n) => n + 1);
                }
                Interlocked.Increment(ref response.IsSuccessStatusCode ? ref _succeeded : ref _non2xx);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException or OperationCanceledException)
            {
                var kind = Classify(ex);
                _errors.AddOrUpdate(kind, 1, (_, n) => n + 1);
                // The whole chain: the outer "error while sending the request" says little; the
                // inner exceptions say whether the connection was reset, closed or timed out.
                _firstErrors.TryAdd(kind, Chain(ex));
            }
            var took = (_clock.Elapsed - sent).Ticks;
            for (var longest = Interlocked.Read(ref _longestTicks); took > longest; longest = Interlocked.Read(ref _longestTicks))
            {
                Interlocked.CompareExchange(ref _longestTicks, took, longest);
            }
        }
    }

    private static string Classify(Exception ex) => ex switch
    {
        TaskCanceledException { InnerException: TimeoutException } => $"timeout ({RequestTimeout.TotalSeconds:F0} s)",
        HttpRequestException http => $"HttpRequestError.{http.HttpRequestError}",
        _ => ex.GetType().Name,
    };

    /// <summary>Waits for the run's end and for every request in flight (each bounded by its 30 s timeout).</summary>
    public async Task<Http2LoadResult> WaitForResultAsync(TimeSpan timeout)
    {
        await _loops.WaitAsync(timeout);
        _finished ??= _clock.Elapsed;
        return new Http2LoadResult(Description, Progress, Interlocked.Read(ref _succeeded), Interlocked.Read(ref _non2xx),
            new Dictionary<string, long>(_errors), new Dictionary<string, string>(_firstErrors), new Dictionary<string, long>(_versions),
            Interlocked.Read(ref _notHttp2), _telemetry.ConnectionsOpened, _telemetry.ConnectionsClosed, _telemetry.HeadersSent,
            _finished.Value.TotalSeconds, TimeSpan.FromTicks(Interlocked.Read(ref _longestTicks)).TotalMilliseconds);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _loops.WaitAsync(RequestTimeout + TimeSpan.FromSeconds(5));
        }
        catch (TimeoutException)
        {
            // A result was not asked for; the clients' disposal below cancels what is left.
        }
        foreach (var client in _clients)
        {
            client.Dispose();
        }
        _telemetry.Dispose();
        _stop.Dispose();
    }

    private static string Chain(Exception ex)
    {
        var messages = new List<string>();
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            messages.Add($"{e.GetType().Name}: {e.Message}");
        }
        return string.Join(" <- ", messages);
    }
}
