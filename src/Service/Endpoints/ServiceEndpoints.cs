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

public static class ServiceEndpoints
{
    private static readonly VersionInfo Info = new(
        AppVersion.Current, Environment.ProcessId, ProcessStart.Time);

    private static readonly string RootBody = $"graceful-upgrade-example {AppVersion.Current}\n";

    public static IEndpointRouteBuilder MapServiceEndpoints(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/", Root);
        routes.MapGet("/version", Version);
        routes.MapGet("/healthz", Healthz);
        routes.MapGet("/readyz", Readyz);

        var delay = routes.ServiceProvider.GetRequiredService<IOptions<ServiceOptions>>().Value.DelayEndpoint;
        if (delay.Enabled)
        {
            routes.MapGet("/delay", (int ms, CancellationToken aborted) => Delay(ms, delay.GetMaxDelay(), aborted));
        }
        return routes;
    }

    // Text results carry Content-Length, which HTTP/1.0 keep-alive clients (ab -k) need to
    // reuse the connection; a plain string return would be sent chunked.
    private static IResult Root() => TypedResults.Text(RootBody);

    private static IResult Version() => TypedResults.Json(Info, ServiceJsonContext.Default.VersionInfo);

    private static IResult Healthz() => TypedResults.Text("ok\n");

    private static IResult Readyz(ReadinessState readiness) => readiness.Phase switch
    {
        ReadinessPhase.Ready => TypedResults.Text("ready\n"),
        ReadinessPhase.Starting => TypedResults.Text("starting\n", statusCode: StatusCodes.Status503ServiceUnavailable),
        _ => TypedResults.Text("draining\n", statusCode: StatusCodes.Status503ServiceUnavailable),
    };

    private static async Task<IResult> Delay(int ms, TimeSpan max, CancellationToken aborted)
    {
        if (ms < 0 || ms > max.TotalMilliseconds)
        {
            return TypedResults.Text($"ms must be between 0 and {(long)max.TotalMilliseconds}\n", statusCode: StatusCodes.Status400BadRequest);
        }
        await Task.Delay(ms, aborted);
        return TypedResults.Text($"waited {ms} ms\n");
    }
}
