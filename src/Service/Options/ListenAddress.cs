using System.Diagnostics.CodeAnalysis;
using System.Net;

namespace GracefulUpgrade.Service.Options;

/// <summary>Parses "0.0.0.0:8080" or "[::]:8080": an explicit IP and a non-zero port.</summary>
public static class ListenAddress
{
    public static bool TryParse(string? text, [NotNullWhen(true)] out IPEndPoint? endPoint, out string? error)
    {
        endPoint = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "is empty; expected an IP address and port such as 0.0.0.0:8080";
            return false;
        }
        if (!IPEndPoint.TryParse(text.Trim(), out var parsed) || !HasExplicitPort(text.Trim()))
        {
            error = $"'{text}' is not an IP address and port such as 0.0.0.0:8080 or [::]:8080";
            return false;
        }
        if (parsed.Port == 0)
        {
            // Every instance must land in the same SO_REUSEPORT group, so the port must be fixed.
            error = $"'{text}' has port 0; a fixed port is required so instances can share it";
            return false;
        }
        endPoint = parsed;
        error = null;
        return true;
    }

    public static IPEndPoint Parse(string text, string setting) =>
        TryParse(text, out var endPoint, out var error)
            ? endPoint
            : throw new InvalidConfigurationException($"{setting} {error}");

    // IPEndPoint.TryParse accepts a bare address and defaults the port to 0; we want it spelled out.
    private static bool HasExplicitPort(string text)
    {
        int colon = text.LastIndexOf(':');
        int bracket = text.LastIndexOf(']');
        return colon > 0 && colon > bracket && (text.StartsWith('[') || text.IndexOf(':') == colon);
    }
}
