#if TEST_FAULTS
namespace GracefulUpgrade.Service.Hosting;

/// <summary>
/// Compiled only into test builds (ops/publish.sh VERSION --test-faults): lets end-to-end tests install a version
/// that cannot become ready, chosen by GUE_TEST_FAULT:
///   exit       exits with status 1 before doing anything;
///   hang       never finishes starting (past the unit's TimeoutStartSec);
///   selfcheck  answers GET /healthz with 500, so the start-up self-check never passes.
/// </summary>
internal static class TestFaults
{
    public static WebApplicationBuilder AddTestFaults(this WebApplicationBuilder builder)
    {
        switch (Environment.GetEnvironmentVariable("GUE_TEST_FAULT"))
        {
            case "exit":
                Console.Error.WriteLine("GUE_TEST_FAULT=exit: exiting at start");
                Environment.Exit(1);
                break;
            case "hang":
                builder.Services.AddHostedService<Hang>();
                break;
            case "selfcheck":
                builder.Services.AddSingleton<IStartupFilter, FailingHealthz>();
                break;
        }
        return builder;
    }

    private sealed class Hang : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => Task.Delay(Timeout.Infinite, cancellationToken);
        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private sealed class FailingHealthz : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, nextMiddleware) =>
            {
                if (context.Request.Path == "/healthz")
                {
                    context.Response.StatusCode = 500;
                    return Task.CompletedTask;
                }
                return nextMiddleware(context);
            });
            next(app);
        };
    }
}
#endif
