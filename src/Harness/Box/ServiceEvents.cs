using System.Globalization;
using System.Text.RegularExpressions;

namespace GracefulUpgrade.Harness;

/// <summary>
/// Finds the service's events in its log. Both console formats name the event as
/// <c>Category[EventId]</c>: under systemd a journal line reads
/// <c>GracefulUpgrade.Service.Lifetime.ConnectionDrainer[10] ...</c>, and the plain console
/// (a child process in the integration tests) writes <c>info: GracefulUpgrade.Service...[10]</c>.
/// Only the service's own categories count (its classes', and the application's own logger,
/// named after the executable, which reports start-up failures): Kestrel's and the host's ids
/// overlap with ours.
/// </summary>
public static partial class ServiceEvents
{
    /// <summary>The event a log line or journal MESSAGE carries, if it is one of the service's.</summary>
    public static ServiceEvent? Of(string line) =>
        EventTag().Match(line) is { Success: true } match
            && int.TryParse(match.Groups["id"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var id)
            && Enum.IsDefined((ServiceEvent)id)
            ? (ServiceEvent)id
            : null;

    /// <summary>Every event in a log, in order.</summary>
    public static IReadOnlyList<ServiceEvent> In(string log) =>
        [.. log.Split('\n').Select(Of).OfType<ServiceEvent>()];

    [GeneratedRegex(@"(?<![\w.-])(GracefulUpgrade\.Service(\.\w+)*|graceful-upgrade-example)\[(?<id>\d+)\]")]
    private static partial Regex EventTag();
}
