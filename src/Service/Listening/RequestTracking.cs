namespace GracefulUpgrade.Service.Listening;

/// <summary>
/// First in the request pipeline: marks the request's connection as busy from the moment its
/// headers are complete (the pipeline runs only then) until the response has been sent, so the
/// drain can tell a request in flight from a client that has not finished its headers.
/// </summary>
internal sealed class RequestTracking(ConnectionTracker tracker) : IStartupFilter
{
    private readonly Func<object, Task> _ended = state =>
    {
        ((TrackedConnection)state).RequestEnded(tracker.Time.GetTimestamp());
        return Task.CompletedTask;
    };

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use((context, nextMiddleware) =>
        {
            if (context.Connection.Id is { } id && tracker.Find(id) is { } connection)
            {
                connection.RequestStarted();
                // OnCompleted runs after the response's last byte is written, also when the
                // request fails; ending at the pipeline's return could cut a response being flushed.
                context.Response.OnCompleted(_ended, connection);
            }
            return nextMiddleware(context);
        });
        next(app);
    };
}
