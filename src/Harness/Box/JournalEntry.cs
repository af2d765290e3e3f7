using System.Text.Json;

namespace GracefulUpgrade.Harness;

/// <summary>
/// One line of `journalctl -o json`: when, which unit it is about, who wrote it (systemd
/// itself, PID 1, or the service, and which process: _PID), systemd's MESSAGE_ID and JOB_RESULT,
/// and the service's event id.
/// </summary>
public sealed record JournalEntry(long RealtimeMicroseconds, string Unit, bool FromSystemd, string? MessageId,
    string? JobResult, string Message, string? Pid = null)
{
    /// <summary>The service's event, from the <c>Category[EventId]</c> its log line starts with.</summary>
    public ServiceEvent? Event => FromSystemd ? null : ServiceEvents.Of(Message);

    public static JournalEntry? Parse(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            if (Text(root, "__REALTIME_TIMESTAMP") is not { } realtime || !long.TryParse(realtime, out var microseconds))
            {
                return null;
            }
            // systemd's own entries about a unit ("Started ...") carry UNIT=; the service's output
            // carries _SYSTEMD_UNIT=.
            var unit = Text(root, "UNIT") ?? Text(root, "_SYSTEMD_UNIT") ?? "";
            var pid = Text(root, "_PID");
            return new JournalEntry(microseconds, unit, pid == "1", Text(root, "MESSAGE_ID"),
                Text(root, "JOB_RESULT"), Text(root, "MESSAGE") ?? "", pid);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static IReadOnlyList<JournalEntry> ParseAll(string jsonLines) =>
        [.. jsonLines.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(Parse).OfType<JournalEntry>()];

    // journalctl writes a field that is not valid UTF-8 as an array of bytes.
    private static string? Text(JsonElement root, string field) =>
        root.TryGetProperty(field, out var value) ? value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Array => System.Text.Encoding.UTF8.GetString([.. value.EnumerateArray().Select(b => (byte)b.GetInt32())]),
            _ => null,
        } : null;
}
