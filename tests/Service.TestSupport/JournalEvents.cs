using Xunit;

namespace GracefulUpgrade.TestSupport;

/// <summary>
/// Steps found in a journal or a process's log by their structured event ids
/// ("Category[EventId]", src/Service/Logging/Log.cs), never by the wording of a message.
/// </summary>
public static class JournalEvents
{
    /// <summary>Each event occurs, and after the one before it.</summary>
    public static void AssertInOrder(string log, params string[] events)
    {
        int at = 0;
        foreach (var e in events)
        {
            int next = log.IndexOf(e, at, StringComparison.Ordinal);
            Assert.True(next >= 0, $"{e} missing after position {at}:\n{log}");
            at = next;
        }
    }
}
