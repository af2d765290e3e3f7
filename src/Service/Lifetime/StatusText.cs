namespace GracefulUpgrade.Service.Lifetime;

/// <summary>
/// The line "systemctl status" shows as "Status:" (systemd's STATUS=), and when to send it
/// again. Pure, so the wording and the rate are unit-tested without a notify socket.
/// </summary>
public static class StatusText
{
    /// <summary>At most one update per this interval, except that a change of phase goes out at once.</summary>
    public static readonly TimeSpan MinInterval = TimeSpan.FromSeconds(1);

    public static string Format(ReadinessPhase phase, string version, string listen, int connections) => phase switch
    {
        ReadinessPhase.Starting => $"Starting {version} on {listen}",
        ReadinessPhase.Ready => $"Serving {version} on {listen}, {Connections(connections)}",
        _ => $"Draining: {Connections(connections)} left",
    };

    /// <summary>Whether a new text goes out now: only a changed one, and a changed count at most once per MinInterval.</summary>
    public static bool ShouldSend(string text, ReadinessPhase phase, string? sentText, ReadinessPhase sentPhase, TimeSpan sinceSent) =>
        text != sentText && (sentText is null || phase != sentPhase || sinceSent >= MinInterval);

    private static string Connections(int count) => count == 1 ? "1 connection" : $"{count} connections";
}
