using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;

namespace GracefulUpgrade.Harness;

/// <summary>
/// `journalctl -f -o json` of given units in a box, as parsed entries. Started with --since a
/// moment before what it watches, so no entry is missed while it starts.
/// </summary>
public sealed class JournalFollower : IAsyncDisposable
{
    // journalctl runs under `timeout` inside the box, so even a follower this process failed to
    // stop ends by itself.
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(10);

    private readonly Process _process;
    private readonly Task _reader;
    private readonly Channel<JournalEntry> _entries = Channel.CreateUnbounded<JournalEntry>();
    private int _disposed;

    private JournalFollower(Process process)
    {
        _process = process;
        _reader = Task.WhenAll(Task.Run(ReadAsync), process.StandardError.ReadToEndAsync());
    }

    public ChannelReader<JournalEntry> Entries => _entries.Reader;

    /// <summary>
    /// Units by exact name, not "graceful-upgrade-example@*": journalctl expands a pattern once,
    /// at start, to the units the journal already knows, so a version that has never run yet
    /// would be left out.
    /// </summary>
    public static JournalFollower Start(SystemdBox box, DateTimeOffset since, params string[] units) =>
        new(box.Start([
            "timeout", ((int)Lifetime.TotalSeconds).ToString(CultureInfo.InvariantCulture),
            "journalctl", "--follow", "--no-pager", "--output=json",
            "--since=@" + since.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
            .. units.Select(unit => "--unit=" + unit)]));

    private async Task ReadAsync()
    {
        try
        {
            while (await _process.StandardOutput.ReadLineAsync() is { } line)
            {
                if (JournalEntry.Parse(line) is { } entry)
                {
                    _entries.Writer.TryWrite(entry);
                }
            }
        }
        finally
        {
            _entries.Writer.TryComplete();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        await Cli.StopAsync(_process);
        await _reader.WaitAsync(TimeSpan.FromSeconds(10));
        _process.Dispose();
    }
}
