using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace GracefulUpgrade.Harness;

/// <summary>
/// ab, wrk or h2load running in the background against 127.0.0.1, the way an operator runs
/// them. ab runs as the original experiment does, with its default 30 s timeout: a request
/// stalled longer ends the run, and the result says so (<see cref="LoadResult.Aborted"/>).
/// </summary>
public sealed partial class LoadGenerator : IAsyncDisposable
{
    private readonly Process _process;
    private readonly RunClock _clock;
    private readonly StringBuilder _output = new();
    private readonly Task _readers;
    private readonly List<(TimeSpan At, long Completed)> _marks = [];
    private readonly CancellationTokenSource _stopWatch = new();
    private readonly Task<string?> _stallWatch = Task.FromResult<string?>(null);
    private readonly int _port;
    private const int SigInt = 2;

    private LoadGenerator(string tool, string arguments, long? requests, RunClock clock, int port)
    {
        Tool = tool;
        Description = $"{tool} {arguments}";
        Requests = requests;
        _clock = clock;
        _port = port;
        Started = clock.Now;
        // Each tool needs a descriptor per connection: raise the soft limit as far as allowed.
        _process = Cli.Start("/bin/sh", ["-c", $"ulimit -n 65536 2>/dev/null || ulimit -n $(ulimit -Hn); exec {Description}"]);
        _readers = Task.WhenAll(PumpAsync(_process.StandardOutput), PumpAsync(_process.StandardError));
        if (tool == "ab")
        {
            _stallWatch = new StallWatch(port, _process.Id).WatchAsync(_stopWatch.Token);
        }
    }

    public string Tool { get; }

    /// <summary>The command line, e.g. "ab -r -c 1000 -n 200000 http://127.0.0.1:8080/".</summary>
    public string Description { get; }

    public long? Requests { get; }

    public TimeSpan Started { get; }

    public TimeSpan? Finished { get; private set; }

    /// <summary>
    /// ab -r -c C -n N [-k] [-g FILE]: no keep-alive unless asked, so every request is a new
    /// connection that SO_REUSEPORT hands to one of the listeners; -r counts a receive error as
    /// a failed request instead of ending the run (countReceiveErrors: false leaves it out, as
    /// the original experiment ran). No -s: ab's own 30 s timeout stays. https: every request
    /// is a full TLS handshake (ab does not resume sessions).
    /// </summary>
    public static LoadGenerator StartAb(int port, int concurrency, int requests, bool keepAlive = false, string path = "/",
        string? timingsFile = null, RunClock? clock = null, bool https = false, bool countReceiveErrors = true) =>
        new("ab", $"{(countReceiveErrors ? "-r " : "")}{(keepAlive ? "-k " : "")}{(timingsFile is null ? "" : $"-g {timingsFile} ")}-c {concurrency} -n {requests} {Url(https, port, path)}",
            requests, clock ?? new RunClock(), port);

    /// <summary>
    /// wrk keeps every connection alive for its whole run (a "Connection: close" response makes
    /// it connect again). countVersions: a script counts each response's X-App-Version
    /// (<see cref="LoadResult.Versions"/>), which costs wrk some of its rate.
    /// </summary>
    public static LoadGenerator StartWrk(int port, int connections, TimeSpan duration, RunClock? clock = null, bool https = false,
        bool countVersions = false) =>
        new("wrk", $"-t 2 -c {connections} -d {(int)duration.TotalSeconds}s --latency {(countVersions ? $"-s {VersionScript} " : "")}{Url(https, port, "/")}",
            null, clock ?? new RunClock(), port);

    private static string VersionScript => Path.Combine(AppContext.BaseDirectory, "Load", "wrk-versions.lua");

    /// <summary>
    /// h2load, keep-alive, C clients sharing N requests: over plain HTTP as HTTP/1.1 (--h1); over
    /// https as HTTP/2 chosen by ALPN, with M concurrent streams per connection.
    /// </summary>
    public static LoadGenerator StartH2load(int port, int clients, int requests, RunClock? clock = null, bool https = false, int streams = 1) =>
        new("h2load", $"{(https ? $"-m {streams}" : "--h1")} -c {clients} -n {requests} {Url(https, port, "/")}", requests, clock ?? new RunClock(), port);

    private static string Url(bool https, int port, string path) => $"{(https ? "https" : "http")}://127.0.0.1:{port}{path}";

    /// <summary>ab's progress lines ("Completed N requests", every 10%), each with when it came.</summary>
    public IReadOnlyList<(TimeSpan At, long Completed)> Marks
    {
        get
        {
            lock (_marks)
            {
                return [.. _marks];
            }
        }
    }

    /// <summary>Requests ab reports done so far.</summary>
    public long Progress => Marks is [.., var last] ? last.Completed : 0;

    public bool HasExited => _process.HasExited;

    public async Task WaitForProgressAsync(long completed, TimeSpan timeout, CancellationToken cancel = default)
    {
        var deadline = Stopwatch.StartNew();
        while (Progress < completed)
        {
            if (_process.HasExited)
            {
                throw new HarnessException($"{Description} exited before {completed} requests:\n{Output}");
            }
            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException($"{Description} did not reach {completed} requests within {timeout}:\n{Output}");
            }
            await Task.Delay(10, cancel);
        }
    }

    public async Task<LoadResult> WaitForResultAsync(TimeSpan timeout, CancellationToken cancel = default)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        deadline.CancelAfter(timeout);
        try
        {
            await _process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            Cli.Stop(_process);
            cancel.ThrowIfCancellationRequested();
            throw new TimeoutException($"{Description} did not finish within {timeout}:\n{Output}");
        }
        Finished ??= _clock.Now;
        await _readers;
        await _stopWatch.CancelAsync();
        var result = LoadResult.Parse(Tool, Output);
        // Where a stalled request was, when there was one (see StallWatch), after ab's own lines.
        return await _stallWatch is { } stall ? result with { RawOutput = result.RawOutput + stall } : result;
    }

    /// <summary>
    /// Ends an ab or wrk run as Ctrl-C does (both then print their summary of what they did so
    /// far), at the first moment none of its requests has waited <paramref name="settled"/> or
    /// longer (<see cref="InFlight"/>). Requests in flight then are younger than that and count
    /// neither way; an older one is never dropped from the count by the stop: it is waited for,
    /// until it is answered or the tool's own timeout counts it (ab's 30 s ends the run).
    /// </summary>
    public async Task<LoadResult> StopAsync(TimeSpan settled, TimeSpan timeout, CancellationToken cancel = default)
    {
        if (Tool is not ("ab" or "wrk"))
        {
            throw new InvalidOperationException($"{Tool} prints no summary when interrupted");
        }
        var deadline = Stopwatch.StartNew();
        var longest = TimeSpan.Zero;
        while (!_process.HasExited)
        {
            longest = await InFlight.LongestWaitAsync(_port, _process.Id);
            if (longest < settled)
            {
                Interrupt();
                break;
            }
            if (deadline.Elapsed > timeout)
            {
                await Cli.StopAsync(_process);
                throw new TimeoutException($"{Description}: a request still unanswered after {longest.TotalSeconds:F1} s, {timeout.TotalSeconds:F0} s after the stop began:\n{Output}");
            }
            await Task.Delay(100, cancel);
        }
        // Either ends at once on SIGINT.
        return await WaitForResultAsync(TimeSpan.FromSeconds(10), cancel);
    }

    private void Interrupt()
    {
        try
        {
            Cli.Signal(_process.Id, SigInt);
        }
        catch (HarnessException) when (_process.HasExited)
        {
            // It ended by itself in between.
        }
    }

    /// <summary>stdout and stderr, line by line as they came.</summary>
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

    private async Task PumpAsync(StreamReader reader)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
            if (AbProgress().Match(line) is { Success: true } match)
            {
                lock (_marks)
                {
                    _marks.Add((_clock.Now, long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture)));
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopWatch.CancelAsync();
        await Cli.StopAsync(_process);
        await _readers.WaitAsync(TimeSpan.FromSeconds(10));
        _process.Dispose();
    }

    [GeneratedRegex(@"^Completed (\d+) requests")]
    private static partial Regex AbProgress();
}
