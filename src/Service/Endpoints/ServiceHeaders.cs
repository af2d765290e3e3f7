using GracefulUpgrade.Service.Hosting;
using GracefulUpgrade.Service.Lifetime;

namespace GracefulUpgrade.Service.Endpoints;

/// <summary>Headers every response carries.</summary>
public static class ServiceHeaders
{
    public const string AppVersion = "X-App-Version";

    /// <summary>
    /// X-App-Version on every response; while draining, "Connection: close" too, which makes
    /// Kestrel close the connection after the response and the client reconnect, through the
    /// shared port, to an instance that is still listening.
    /// </summary>
    public static IApplicationBuilder UseServiceHeaders(this IApplicationBuilder app)
    {
        var readiness = app.ApplicationServices.GetRequiredService<ReadinessState>();
        var version = Hosting.AppVersion.Current;
        // Decided when the headers go out, not when the request arrived: a request that was
        // already running when the drain began must still tell its client to reconnect.
        Func<object, Task> onStarting = state =>
        {
            var response = (HttpResponse)state;
            response.Headers[AppVersion] = version;
            if (readiness.IsDraining)
            {
                response.Headers.Connection = "close";
            }
            return Task.CompletedTask;
        };
        return app.Use((context, next) =>
        {
            context.Response.OnStarting(onStarting, context.Response);
            return next(context);
        });
    }
}
