using GracefulUpgrade.Service.Hosting;
using GracefulUpgrade.Service.Lifetime;
using Microsoft.AspNetCore.Connections.Features;

namespace GracefulUpgrade.Service.Endpoints;

/// <summary>Headers every response carries.</summary>
public static class ServiceHeaders
{
    public const string AppVersion = "X-App-Version";

    /// <summary>
    /// X-App-Version on every response; while draining, "Connection: close" too (GOAWAY on HTTP/2), which makes
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
                if (HttpProtocol.IsHttp2(response.HttpContext.Request.Protocol))
                {
                    // HTTP/2 forbids the Connection header (RFC 9113 8.2.2); its way to say the same
                    // is GOAWAY, which a graceful close of the connection sends. A connection whose
                    // handshake ended after the drain began gets it here.
                    response.HttpContext.Features.Get<IConnectionLifetimeNotificationFeature>()?.RequestClose();
                }
                else
                {
                    response.Headers.Connection = "close";
                }
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
