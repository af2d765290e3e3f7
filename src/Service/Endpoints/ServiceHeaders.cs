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
        return app.Use((context, next) =>
        {
            var headers = context.Response.Headers;
            headers[AppVersion] = version;
            if (readiness.IsDraining)
            {
                headers.Connection = "close";
            }
            return next(context);
        });
    }
}
