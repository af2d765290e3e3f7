using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using GracefulUpgrade.Service.Hosting;
using GracefulUpgrade.Service.Lifetime;
using GracefulUpgrade.Service.Options;
using Microsoft.Extensions.Options;

namespace GracefulUpgrade.Service.Endpoints;

public sealed record VersionInfo(string Version, int Pid, DateTimeOffset StartedAt);

[JsonSerializable(typeof(VersionInfo))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class ServiceJsonContext : JsonSerializerContext;

/// <summary>
/// The service's few fixed GET paths, answered by one terminal middleware rather than endpoint
/// routing: routing's services, matcher and generated handlers cost about 1 of 20 ms of each
/// start's time to ready under Native AOT and 1.2 MiB of binary (docs/benchmarks.md), and do
/// nothing a switch on the path cannot. What routing answered stays the same: an unknown path is 404, another method
/// on a known path 405 with "Allow: GET".
/// </summary>
public static class ServiceEndpoints
{
    private const string TextPlain = "text/plain; charset=utf-8";
    private const string Json = "application/json; charset=utf-8";

    // Every answer but /delay's is fixed for the process's lifetime: encoded once.
    private static readonly byte[] RootBody = Encoding.UTF8.GetBytes($"graceful-upgrade-example {AppVersion.Current}\n");
    private static readonly byte[] VersionBody = JsonSerializer.SerializeToUtf8Bytes(
        new VersionInfo(AppVersion.Current, Environment.ProcessId, ProcessStart.Time), ServiceJsonContext.Default.VersionInfo);
    private static readonly byte[] Ok = "ok\n"u8.ToArray();
    private static readonly byte[] ReadyBody = "ready\n"u8.ToArray();
    private static readonly byte[] StartingBody = "starting\n"u8.ToArray();
    private static readonly byte[] DrainingBody = "draining\n"u8.ToArray();

    public static IApplicationBuilder MapServiceEndpoints(this IApplicationBuilder app)
    {
        var readiness = app.ApplicationServices.GetRequiredService<ReadinessState>();
        var delay = app.ApplicationServices.GetRequiredService<IOptions<ServiceOptions>>().Value.DelayEndpoint;
        Func<HttpContext, Task> readyz = context => readiness.Phase switch
        {
            ReadinessPhase.Ready => Send(context.Response, StatusCodes.Status200OK, TextPlain, ReadyBody),
            ReadinessPhase.Starting => Send(context.Response, StatusCodes.Status503ServiceUnavailable, TextPlain, StartingBody),
            _ => Send(context.Response, StatusCodes.Status503ServiceUnavailable, TextPlain, DrainingBody),
        };
        Func<HttpContext, Task> delayed = context => Delay(context, delay.GetMaxDelay());
        app.Run(context =>
        {
            Func<HttpContext, Task>? endpoint = context.Request.Path.Value switch
            {
                "/" => Root,
                "/version" => Version,
                "/healthz" => Healthz,
                "/readyz" => readyz,
                "/delay" when delay.Enabled => delayed,
                _ => null,
            };
            if (endpoint is null)
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            }
            if (!HttpMethods.IsGet(context.Request.Method))
            {
                context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
                context.Response.Headers.Allow = HttpMethods.Get;
                return Task.CompletedTask;
            }
            return endpoint(context);
        });
        return app;
    }

    private static Task Root(HttpContext context) => Send(context.Response, StatusCodes.Status200OK, TextPlain, RootBody);

    private static Task Version(HttpContext context) => Send(context.Response, StatusCodes.Status200OK, Json, VersionBody);

    private static Task Healthz(HttpContext context) => Send(context.Response, StatusCodes.Status200OK, TextPlain, Ok);

    // With Content-Length, which HTTP/1.0 keep-alive clients (ab -k) need to reuse the
    // connection; a body of unknown length would be sent chunked.
    private static Task Send(HttpResponse response, int status, string contentType, byte[] body)
    {
        response.StatusCode = status;
        response.ContentType = contentType;
        response.ContentLength = body.Length;
        return response.Body.WriteAsync(body).AsTask();
    }

    private static async Task Delay(HttpContext context, TimeSpan max)
    {
        var query = context.Request.Query["ms"];
        if (query.Count != 1 || !int.TryParse(query[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out int ms))
        {
            await Send(context.Response, StatusCodes.Status400BadRequest, TextPlain, Encoding.UTF8.GetBytes("ms must be an integer: /delay?ms=N\n"));
            return;
        }
        if (ms < 0 || ms > max.TotalMilliseconds)
        {
            await Send(context.Response, StatusCodes.Status400BadRequest, TextPlain,
                Encoding.UTF8.GetBytes($"ms must be between 0 and {(long)max.TotalMilliseconds}\n"));
            return;
        }
        await Task.Delay(ms, context.RequestAborted);
        await Send(context.Response, StatusCodes.Status200OK, TextPlain, Encoding.UTF8.GetBytes($"waited {ms} ms\n"));
    }
}
