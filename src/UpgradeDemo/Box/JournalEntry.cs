using System.Text.Json;

namespace GracefulUpgrade.UpgradeDemo.Box;

/// <summary>One line of `journalctl -o json`: when, which unit it is about, who wrote it, what.</summary>
internal sealed record JournalEntry(long RealtimeMicroseconds, string Unit, bool FromSystemd, string Message)
{
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
            // systemd's own lines about a unit ("Started ...") carry UNIT=; the service's output
            // carries _SYSTEMD_UNIT=.
            var unit = Text(root, "UNIT") ?? Text(root, "_SYSTEMD_UNIT") ?? "";
            var fromSystemd = Text(root, "_PID") == "1";
            return new JournalEntry(microseconds, unit, fromSystemd, Text(root, "MESSAGE") ?? "");
        }
        catch (JsonException)
        {
            return null;
        }
    }

    // journalctl writes a field that is not valid UTF-8 as an array of bytes.
    private static string? Text(JsonElement root, string field) =>
        root.TryGetProperty(field, out var value) ? value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Array => System.Text.Encoding.UTF8.GetString([.. value.EnumerateArray().Select(b => (byte)b.GetInt32())]),
            _ => null,
        } : null;
}
