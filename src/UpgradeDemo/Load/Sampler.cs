using System.Diagnostics;

namespace GracefulUpgrade.UpgradeDemo.Load;

/// <summary>
/// A light client beside ab: a few loops, each sending GET / on a fresh connection
/// (Connection: close) every few milliseconds, so every request is spread again by SO_REUSEPORT
/// and shows which version answers at that instant.
/// </summary>
internal sealed class Sampler : IAsyncDisposable
{
    private readonly HttpClient _client;
    private readonly DemoClock _clock;
    private readonly TimeSpan _interval;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Sample> _samples = [];
    private readonly Task _loops;
    private long _errors;

    public Sampler(Uri target, DemoClock clock, int loops, TimeSpan interval)
    {
        _clock = clock;
        _interval = interval;
        _client = new HttpClient(new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.Zero,
            ConnectTimeout = TimeSpan.FromSeconds(5),
        })
        {
            BaseAddress = target,
            Timeout = TimeSpan.FromSeconds(10),
        };
        _client.DefaultRequestHeaders.ConnectionClose = true;
        _loops = Task.WhenAll(Enumerable.Range(0, loops).Select(_ => Task.Run(LoopAsync)));
    }

    public long Errors => Interlocked.Read(ref _errors);

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

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            _stop.Cancel();
            await _loops;
        }
        _client.Dispose();
    }
}
