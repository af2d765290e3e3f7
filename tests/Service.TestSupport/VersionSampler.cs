using System.Collections.Concurrent;
using System.Diagnostics;

namespace GracefulUpgrade.TestSupport;

/// <summary>
/// A light client beside the load: a fresh connection every few milliseconds, recording which
/// version answered (X-App-Version) and any error, so a test can see both versions served.
/// </summary>
public sealed class VersionSampler : IAsyncDisposable
{
    public sealed record Sample(TimeSpan At, string? Version, int Status, TimeSpan Latency, string? Error);

    private readonly HttpClient _client;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly ConcurrentQueue<Sample> _samples = new();

    public VersionSampler(int port, TimeSpan interval)
    {
        _client = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.Zero })
        {
            BaseAddress = new Uri($"http://127.0.0.1:{port}/"),
            Timeout = TimeSpan.FromSeconds(10),
        };
        _client.DefaultRequestHeaders.ConnectionClose = true;
        _loop = Task.Run(() => RunAsync(interval));
    }

    public IReadOnlyDictionary<string, int> CountByVersion =>
        _samples.Where(s => s.Version is not null).GroupBy(s => s.Version!).ToDictionary(g => g.Key, g => g.Count());

    public IReadOnlyList<Sample> Errors => [.. _samples.Where(s => s.Error is not null || s.Status is < 200 or > 299)];

    private async Task RunAsync(TimeSpan interval)
    {
        while (!_stop.IsCancellationRequested)
        {
            var at = _clock.Elapsed;
            var started = Stopwatch.StartNew();
            try
            {
                using var response = await _client.GetAsync("/", _stop.Token);
                response.Headers.TryGetValues("X-App-Version", out var versions);
                _samples.Enqueue(new Sample(at, versions?.FirstOrDefault(), (int)response.StatusCode, started.Elapsed, null));
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                _samples.Enqueue(new Sample(at, null, 0, started.Elapsed, ex.GetBaseException().Message));
            }
            try
            {
                await Task.Delay(interval, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private int _disposed;

    /// <summary>Stops sampling; safe to call more than once (a test may stop it early).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        _stop.Cancel();
        await _loop;
        _client.Dispose();
        _stop.Dispose();
    }
}
