using System.Diagnostics;

namespace GracefulUpgrade.Harness;

/// <summary>
/// A light client beside the load: a few loops, each sending GET / on a fresh connection
/// (Connection: close) every few milliseconds, so every request is spread again by SO_REUSEPORT
/// and shows which version answers at that instant (X-App-Version), or what went wrong.
/// </summary>
public sealed class VersionSampler : IAsyncDisposable
{
    /// <summary>One request: when it was sent, how long it took, who answered, or the error.</summary>
    public sealed record Sample(TimeSpan Sent, TimeSpan Latency, string? Version, int Status, string? Error)
    {
        public TimeSpan Answered => Sent + Latency;

        public bool Ok => Error is null && Status is >= 200 and <= 299;
    }

    private readonly HttpClient _client;
    private readonly RunClock _clock;
    private readonly TimeSpan _interval;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Sample> _samples = [];
    private readonly Task _loops;
    private long _errors;
    private int _disposed;

    public VersionSampler(int port, TimeSpan interval, int loops = 1, RunClock? clock = null)
    {
        _clock = clock ?? new RunClock();
        _interval = interval;
        Loops = loops;
        _client = new HttpClient(new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.Zero,
            ConnectTimeout = TimeSpan.FromSeconds(5),
        })
        {
            BaseAddress = new Uri($"http://127.0.0.1:{port}/"),
            Timeout = TimeSpan.FromSeconds(10),
        };
        _client.DefaultRequestHeaders.ConnectionClose = true;
        _loops = Task.WhenAll(Enumerable.Range(0, loops).Select(_ => Task.Run(LoopAsync)));
    }

    public int Loops { get; }

    public string Description => $"{Loops} loop(s), GET / with Connection: close every {_interval.TotalMilliseconds:F0} ms";

    /// <summary>Every sample so far, in the order answered.</summary>
    public IReadOnlyList<Sample> Samples
    {
        get
        {
            lock (_samples)
            {
                return [.. _samples];
            }
        }
    }

    public int Count
    {
        get
        {
            lock (_samples)
            {
                return _samples.Count;
            }
        }
    }

    public long ErrorCount => Interlocked.Read(ref _errors);

    public IReadOnlyList<Sample> Errors => [.. Samples.Where(s => !s.Ok)];

    public IReadOnlyDictionary<string, int> CountByVersion =>
        Samples.Where(s => s.Version is not null).GroupBy(s => s.Version!).ToDictionary(g => g.Key, g => g.Count());

    /// <summary>Responses answered within the last <paramref name="window"/>, per version.</summary>
    public IReadOnlyDictionary<string, int> RecentVersions(TimeSpan window)
    {
        var since = _clock.Now - window;
        var counts = new Dictionary<string, int>();
        lock (_samples)
        {
            // Appended as answered, so the recent ones are at the end.
            for (int i = _samples.Count - 1; i >= 0 && _samples[i].Answered >= since; i--)
            {
                if (_samples[i].Version is { } version)
                {
                    counts[version] = counts.GetValueOrDefault(version) + 1;
                }
            }
        }
        return counts;
    }

    private async Task LoopAsync()
    {
        var stop = _stop.Token;
        while (!stop.IsCancellationRequested)
        {
            var sent = _clock.Now;
            var latency = Stopwatch.StartNew();
            Sample sample;
            try
            {
                using var response = await _client.GetAsync("", stop);
                response.Headers.TryGetValues("X-App-Version", out var versions);
                sample = new Sample(sent, latency.Elapsed, versions?.FirstOrDefault(), (int)response.StatusCode, null);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
            {
                sample = new Sample(sent, latency.Elapsed, null, 0, ex.GetBaseException().Message);
            }
            if (!sample.Ok)
            {
                Interlocked.Increment(ref _errors);
            }
            lock (_samples)
            {
                _samples.Add(sample);
            }
            try
            {
                await Task.Delay(_interval, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Stops sampling; safe to call more than once (a test may stop it early).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        _stop.Cancel();
        await _loops;
        _client.Dispose();
        _stop.Dispose();
    }
}
