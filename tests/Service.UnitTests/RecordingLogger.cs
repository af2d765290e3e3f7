using Microsoft.Extensions.Logging;

namespace GracefulUpgrade.UnitTests;

/// <summary>Keeps the event ids a component logged, in order: tests match ids, never wording.</summary>
public sealed class RecordingLogger<T> : ILogger<T>
{
    private readonly List<int> _eventIds = [];

    public IReadOnlyList<int> EventIds
    {
        get
        {
            lock (_eventIds)
            {
                return [.. _eventIds];
            }
        }
    }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_eventIds)
        {
            _eventIds.Add(eventId.Id);
        }
    }
}
