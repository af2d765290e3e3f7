using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using GracefulUpgrade.Harness;
using GracefulUpgrade.UpgradeDemo.Upgrade;

namespace GracefulUpgrade.UpgradeDemo.Output;

/// <summary>
/// The run as it happens: on a terminal, two status lines redrawn 4 times a second under the
/// upgrade steps, which scroll above them; in a log (CI), a status line a second.
/// </summary>
internal sealed class LiveProgress : IAsyncDisposable
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan LogEvery = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan AnsweringWindow = TimeSpan.FromMilliseconds(500);
    private const int BarWidth = 24;

    private readonly Terminal _terminal;
    private readonly RunClock _clock;
    private readonly LoadGenerator _load;
    private readonly VersionSampler _sampler;
    private readonly ConcurrentQueue<(TimeSpan At, string Line)> _lines = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private bool _statusShown;
    private TimeSpan _lastLogged = -LogEvery;

    public LiveProgress(Terminal terminal, RunClock clock, LoadGenerator load, VersionSampler sampler)
    {
        _terminal = terminal;
        _clock = clock;
        _load = load;
        _sampler = sampler;
        _loop = Task.Run(LoopAsync);
    }

    public void Step(StepRecord step) =>
        _lines.Enqueue((step.At, $"  {_terminal.Bold("●")} {_clock.Stamp(step.At)}  {step.Text}"));

    public void Event(TimeSpan at, string text) =>
        _lines.Enqueue((at, $"  {_terminal.Dim("●")} {_clock.Stamp(at)}  {_terminal.Dim(text)}"));

    private async Task LoopAsync()
    {
        using var timer = new PeriodicTimer(Tick);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                Draw(final: false);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
    }

    private void Draw(bool final)
    {
        var text = new StringBuilder();
        if (_terminal.Interactive && _statusShown)
        {
            // Back to the start of the first status line, erasing both.
            text.Append("\r\e[2K\e[1A\r\e[2K");
            _statusShown = false;
        }
        // Journal entries reach us a little late, out of order with dpkg's end: sort what came in.
        var lines = new List<(TimeSpan At, string Line)>();
        while (_lines.TryDequeue(out var line))
        {
            lines.Add(line);
        }
        foreach (var (_, line) in lines.OrderBy(l => l.At))
        {
            text.Append(line).Append('\n');
        }
        var (load, answering) = Status();
        if (_terminal.Interactive)
        {
            text.Append(Fit(load)).Append('\n').Append(Fit(answering));
            if (final)
            {
                text.Append('\n');
            }
            _statusShown = !final;
        }
        else if (final || _clock.Now - _lastLogged >= LogEvery)
        {
            text.Append(load.Plain).Append(" | ").Append(answering.Plain.Trim()).Append('\n');
            _lastLogged = _clock.Now;
        }
        Console.Out.Write(text.ToString());
        Console.Out.Flush();
    }

    private (StatusLine Load, StatusLine Answering) Status()
    {
        var now = _clock.Now;
        var marks = _load.Marks;
        string ab;
        if (_load.HasExited)
        {
            ab = "ab finished";
        }
        else if (marks is [.., var last])
        {
            var (fromAt, fromCount) = marks.Count > 1 ? marks[^2] : (_load.Started, 0L);
            var rate = (last.Completed - fromCount) / Math.Max((last.At - fromAt).TotalSeconds, 0.001);
            ab = $"ab ≥ {last.Completed:N0}/{_load.Requests:N0} ({100.0 * last.Completed / _load.Requests:F0}%) at {rate:N0} req/s";
        }
        else
        {
            ab = $"ab < {_load.Requests / 10:N0}/{_load.Requests:N0}";
        }
        var errors = _sampler.ErrorCount;
        var errorText = $"{errors:N0} errors";
        var head = $"  {now.TotalSeconds,6:F1} s │ {ab} │ sampler {_sampler.Count:N0} answered, ";
        var load = new StatusLine(head + (errors == 0 ? _terminal.Good(errorText) : _terminal.Bad(errorText)), head + errorText);

        var recent = _sampler.RecentVersions(AnsweringWindow);
        var total = recent.Values.Sum();
        if (total == 0)
        {
            return (load, new StatusLine("  answering now: (none in the last 0.5 s)", "answering: none"));
        }
        var shares = recent.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => (kv.Key, Share: (double)kv.Value / total)).ToList();
        var plain = "answering: " + string.Join(", ", shares.Select(s => string.Create(CultureInfo.InvariantCulture, $"{s.Key} {s.Share * 100:F0}%")));
        var bar = new StringBuilder("  answering now: ");
        foreach (var (version, share) in shares)
        {
            var cells = Math.Max(1, (int)Math.Round(share * BarWidth));
            bar.Append(_terminal.Version($"{version} {new string('█', cells)} {share * 100:F0}%")).Append("  ");
        }
        return (load, new StatusLine(bar.ToString().TrimEnd(), plain));
    }

    /// <summary>A status line in colour, or plain and cut when the terminal is too narrow for it.</summary>
    private string Fit(StatusLine line)
    {
        var width = _terminal.Width - 1;
        return Terminal.VisibleLength(line.Rich) <= width ? line.Rich
            : line.Plain.Length <= width ? line.Plain : line.Plain[..width];
    }

    private sealed record StatusLine(string Rich, string Plain);

    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }
        _stop.Cancel();
        await _loop;
        Draw(final: true);
    }
}
