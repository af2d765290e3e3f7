using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using System.Text;
using GracefulUpgrade.UpgradeDemo.Box;

namespace GracefulUpgrade.UpgradeDemo.Load;

/// <summary>
/// The original experiment's load: ab -c 1000 -n N against 127.0.0.1:8080, no keep-alive, so
/// every request is a new connection that SO_REUSEPORT hands to one of the listening versions.
/// -r keeps ab going on a receive error, so a lost connection is counted, not fatal; -s 120
/// lets a request whose SYN the kernel dropped finish after TCP's own retransmissions
/// (1+2+4+8+16 s) and show as the longest request, where ab's 30 s default would end the run.
/// </summary>
internal sealed partial class LoadRun : IAsyncDisposable
{
    private readonly Process _process;
    private readonly DemoClock _clock;
    private readonly StringBuilder _output = new();
    private readonly Task _readers;
    private readonly List<(TimeSpan At, long Completed)> _marks = [];

    private LoadRun(Process process, DemoClock clock, int requests, string commandLine)
    {
        _process = process;
        _clock = clock;
        Requests = requests;
        CommandLine = commandLine;
        Started = clock.Now;
        _readers = Task.WhenAll(PumpAsync(process.StandardOutput), PumpAsync(process.StandardError));
    }

    public int Requests { get; }

    public string CommandLine { get; }

    public TimeSpan Started { get; }

    public TimeSpan? Finished { get; private set; }

    public static LoadRun Start(Uri target, int concurrency, int requests, DemoClock clock)
    {
        var commandLine = $"ab -r -s 120 -c {concurrency} -n {requests} {target}";
        // ab needs a descriptor per connection: raise the soft limit as far as allowed.
        var script = $"ulimit -n 65536 2>/dev/null || ulimit -n $(ulimit -Hn); exec {commandLine}";
        return new LoadRun(Command.Start("/bin/sh", ["-c", script]), clock, requests, commandLine);
    }

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

    public bool HasExited => _process.HasExited;

    /// <summary>
    /// Returns when about <paramref name="share"/> of the requests are done. ab only reports every
    /// 10%, so the moment is extrapolated from the last report at its rate so far.
    /// </summary>
    public async Task WaitForShareAsync(double share, TimeSpan deadline, CancellationToken cancel)
    {
        var target = (long)(Requests * share);
        var giveUp = _clock.Now + deadline;
        while (true)
        {
            cancel.ThrowIfCancellationRequested();
            if (_process.HasExited)
            {
                throw new DemoException($"{CommandLine} ended before {share * 100:F0}% of the requests:\n{Output}");
            }
            if (_clock.Now > giveUp)
            {
                throw new DemoException($"{CommandLine} did not reach {target} requests within {deadline.TotalSeconds:F0} s");
            }
            if (Marks is [.., var last] && last.Completed > 0)
            {
                var rate = last.Completed / (last.At - Started).TotalSeconds;
                var eta = last.At + TimeSpan.FromSeconds((target - last.Completed) / rate);
                if (_clock.Now >= eta)
                {
                    return;
                }
            }
            await Task.Delay(10, cancel);
        }
    }

    public async Task<AbResult> WaitForResultAsync(TimeSpan deadline, CancellationToken cancel)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        timeout.CancelAfter(deadline);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Command.Stop(_process);
            cancel.ThrowIfCancellationRequested();
            throw new DemoException($"{CommandLine} did not finish within {deadline.TotalSeconds:F0} s");
        }
        Finished = _clock.Now;
        await _readers;
        return AbResult.Parse(Output, _process.ExitCode);
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

    private async Task PumpAsync(StreamReader reader)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
            if (Progress().Match(line) is { Success: true } match)
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
        await Command.StopAsync(_process);
        await _readers.WaitAsync(TimeSpan.FromSeconds(10));
        _process.Dispose();
    }

    [GeneratedRegex(@"^Completed (\d+) requests")]
    private static partial Regex Progress();
}
