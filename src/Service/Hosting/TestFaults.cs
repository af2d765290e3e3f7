#if TEST_FAULTS
namespace GracefulUpgrade.Service.Hosting;

/// <summary>
/// Compiled only into test builds (ops/publish.sh VERSION --test-faults): lets end-to-end tests install a version
/// that cannot become ready, chosen by GUE_TEST_FAULT:
///   exit       exits with status 1 before doing anything;
///   hang       never finishes starting (past the unit's TimeoutStartSec);
///   selfcheck  answers GET /healthz with 500, so the start-up self-check never passes.
/// A process started by a reload inherits its predecessor's environment, so for it the fault
/// can also come from a file (FaultFile), written after the predecessor started.
/// </summary>
internal static class TestFaults
{
    public static WebApplicationBuilder AddTestFaults(this WebApplicationBuilder builder)
    {
        switch (Environment.GetEnvironmentVariable("GUE_TEST_FAULT") ?? FromFile())
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

    // GUE_TEST_FAULT_FILE moves it for tests that run the binary outside a box.
    private static string FaultFile =>
        Environment.GetEnvironmentVariable("GUE_TEST_FAULT_FILE") ?? "/etc/graceful-upgrade-example/test-fault";

    private static string? FromFile() => File.Exists(FaultFile) ? File.ReadAllText(FaultFile).Trim() : null;

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
