using System.Reflection;
using GracefulUpgrade.Service.Logging;
using Microsoft.Extensions.Logging;

namespace GracefulUpgrade.UnitTests;

/// <summary>
/// The harness finds upgrade steps by event id (ServiceEvent); Log.cs defines the ids. These
/// tests hold the two together, and read ids out of log lines in both console formats.
/// </summary>
public sealed class ServiceEventTests
{
    [Fact]
    public void EveryLoggedEventHasTheSameIdInTheHarness()
    {
        var logged = typeof(Log).GetMethods(BindingFlags.Public | BindingFlags.Static)
            .Select(m => (m.Name, Attribute: m.GetCustomAttribute<LoggerMessageAttribute>()))
            .Where(m => m.Attribute is not null)
            .ToDictionary(m => m.Name, m => m.Attribute!.EventId);

        Assert.NotEmpty(logged);
        Assert.Equal(
            logged.OrderBy(kv => kv.Value),
            Enum.GetValues<ServiceEvent>().Select(e => KeyValuePair.Create(e.ToString(), (int)e)).OrderBy(kv => kv.Value));
    }

    [Theory]
    // The journal's MESSAGE under systemd (SystemdConsoleFormatter, priority prefix taken by journald).
    [InlineData("GracefulUpgrade.Service.Lifetime.ConnectionDrainer[10] any wording at all", ServiceEvent.ListenerClosed)]
    // The plain console of a child process.
    [InlineData("info: GracefulUpgrade.Service.Lifetime.ConnectionDrainer[12]", ServiceEvent.DrainFinished)]
    // The application's own logger, which reports start-up failures.
    [InlineData("graceful-upgrade-example[20] Invalid configuration: ...", ServiceEvent.StartupFailed)]
    public void ReadsTheEventIdOfALogLine(string line, ServiceEvent expected) =>
        Assert.Equal(expected, ServiceEvents.Of(line));

    [Theory]
    // Kestrel's and the host's ids overlap with ours: only the service's categories count.
    [InlineData("Microsoft.Hosting.Lifetime[14] Now listening on: http://0.0.0.0:8080")]
    [InlineData("Drain started: closed the listener on 0.0.0.0:8080")]
    [InlineData("GracefulUpgrade.Service.Hosting.ServiceHost[999] an id the service does not define")]
    public void OtherLinesCarryNoServiceEvent(string line) =>
        Assert.Null(ServiceEvents.Of(line));
}
