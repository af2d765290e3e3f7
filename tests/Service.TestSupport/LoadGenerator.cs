using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace GracefulUpgrade.TestSupport;

/// <summary>
/// ab or wrk running in the background against 127.0.0.1, the way an operator would run them.
/// </summary>
public sealed partial class LoadGenerator : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly Task _readers;
    private long _progress;
    private readonly Func<string, LoadResult> _parse;

    private LoadGenerator(Process process, Func<string, LoadResult> parse)
    {
        _process = process;
        _parse = parse;
        _readers = Task.WhenAll(Pump(process.StandardOutput), Pump(process.StandardError));
    }

    public string Description { get; private init; } = "";

    /// <summary>
    /// ab -r -s 120 -c C -n N [-k]: -r counts receive errors as failed requests instead of
    /// aborting; -s 120 lets a request whose SYN the kernel dropped complete after TCP's own
    /// retransmissions (1+2+4+8+16 s) instead of ab giving up on the whole run at its 30 s
    /// default. Such a request is then visible as the "longest request" in the result.
    /// </summary>
    public static LoadGenerator StartAb(int port, int concurrency, int requests, bool keepAlive = false, string path = "/") =>
        Start("ab", $"-r -s 120 {(keepAlive ? "-k " : "")}-c {concurrency} -n {requests} http://127.0.0.1:{port}{path}", LoadResult.FromAb);

    /// <summary>wrk keeps every connection alive for its whole run.</summary>
    public static LoadGenerator StartWrk(int port, int connections, TimeSpan duration) =>
        Start("wrk", $"-t 2 -c {connections} -d {(int)duration.TotalSeconds}s --latency http://127.0.0.1:{port}/", LoadResult.FromWrk);

    private static LoadGenerator Start(string tool, string arguments, Func<string, LoadResult> parse)
    {
        // ab and wrk need a descriptor per connection; raise the soft limit as far as allowed.
        var script = $"ulimit -n 65536 2>/dev/null || ulimit -n $(ulimit -Hn); exec {tool} {arguments}";
        var start = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {tool}");
        return new LoadGenerator(process, parse) { Description = $"{tool} {arguments}" };
    }

    /// <summary>Requests ab reports done so far ("Completed N requests", every 10%).</summary>
    public long Progress => Interlocked.Read(ref _progress);

    public async Task WaitForProgressAsync(long completed, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (Progress < completed)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Description} exited early:\n{Output}");
            }
            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException($"{Description} did not reach {completed} requests within {timeout}:\n{Output}");
            }
            await Task.Delay(20);
        }
    }

    public async Task<LoadResult> WaitForResultAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill();
            throw new TimeoutException($"{Description} did not finish within {timeout}:\n{Output}");
        }
        await _readers;
        return _parse(Output);
    }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    private async Task Pump(StreamReader reader)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
            var match = AbProgress().Match(line);
            if (match.Success)
            {
                Interlocked.Exchange(ref _progress, long.Parse(match.Groups[1].Value));
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    [GeneratedRegex(@"^Completed (\d+) requests")]
    private static partial Regex AbProgress();
}
