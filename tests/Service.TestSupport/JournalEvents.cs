using Xunit;

namespace GracefulUpgrade.TestSupport;

/// <summary>
/// Assertions on the service's events in a journal or a process's log, read by the harness
/// (<see cref="ServiceEvents"/>: "Category[EventId]", src/Service/Logging/Log.cs), never by
/// the wording of a message.
/// </summary>
public static class JournalEvents
{
    /// <summary>Each event occurs, each after the one before it.</summary>
    public static void AssertInOrder(string log, params ServiceEvent[] events) =>
        AssertInOrder(ServiceEvents.In(log), log, events);

    /// <summary>
    /// Each event of one process occurs, each after the one before it. The order of one
    /// process's lines is its own; two processes' lines interleave in the journal as their
    /// log queues happen to flush, so no order between processes can be read from it.
    /// </summary>
    public static void AssertInOrder(IReadOnlyList<JournalEntry> journal, string pid, params ServiceEvent[] events) =>
        AssertInOrder([.. journal.Where(entry => entry.Pid == pid).Select(entry => entry.Event).OfType<ServiceEvent>()],
            $"pid {pid}'s events in:\n{string.Join('\n', journal.Select(entry => $"[{entry.Pid}] {entry.Message}"))}", events);

    private static void AssertInOrder(IReadOnlyList<ServiceEvent> seen, string context, ServiceEvent[] events)
    {
        int at = 0;
        foreach (var e in events)
        {
            int next = IndexOf(seen, e, at);
            Assert.True(next >= 0, $"{e} ({(int)e}) missing after [{string.Join(", ", seen.Take(at))}], {context}");
            at = next + 1;
        }
    }

    public static void AssertHas(string log, ServiceEvent e) =>
        Assert.True(ServiceEvents.In(log).Contains(e), $"{e} ({(int)e}) missing in:\n{log}");

    public static void AssertHasNot(string log, ServiceEvent e) =>
        Assert.False(ServiceEvents.In(log).Contains(e), $"{e} ({(int)e}) unexpected in:\n{log}");

    public static int Count(string log, ServiceEvent e) => ServiceEvents.In(log).Count(x => x == e);

    private static int IndexOf(IReadOnlyList<ServiceEvent> seen, ServiceEvent e, int from)
    {
        for (int i = from; i < seen.Count; i++)
        {
            if (seen[i] == e)
            {
                return i;
            }
        }
        return -1;
    }
}
