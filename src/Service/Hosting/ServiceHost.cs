using GracefulUpgrade.Service.Lifetime;
using GracefulUpgrade.Service.Listening;
using GracefulUpgrade.Service.Options;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Options;

namespace GracefulUpgrade.Service.Hosting;

/// <summary>The wiring Program.cs lists, one named step each.</summary>
public static class ServiceHost
{
    public const string ConfigFileVariable = "GRACEFUL_UPGRADE_EXAMPLE_CONFIG";
    public const string DefaultConfigFile = "/etc/graceful-upgrade-example/config.json";

    public static WebApplicationBuilder CreateBuilder(string[] args)
    {
        WebApplicationBuilder builder = null!;
        // The empty builder: no configuration sources, logging, server or routing of its own.
        // The slim one registered more than the service uses; resolving that through DI cost
        // about 5 of 34 ms of each start's time to ready here (docs/benchmarks.md). What the
        // service uses is added below; AddServiceConfiguration adds the configuration sources.
        InvalidConfigurationException.Load(() => builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
        {
            // Under systemd the working directory is "/": a content root there makes the
            // configuration watcher put inotify watches on the whole filesystem.
            ContentRootPath = AppContext.BaseDirectory,
            // Nothing is reloaded inside a running process, so nothing needs watching: a
            // changed setting takes effect through systemctl reload, which hands over to a new
            // process (Lifetime/ReloadCoordinator.cs).
            Args = [.. args, "--hostBuilder:reloadConfigOnChange=false"],
        }));
        builder.WebHost.UseKestrelCore();
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.Logging.AddConfiguration(builder.Configuration.GetSection("Logging"));
        builder.Logging.AddSimpleConsole();
#if TEST_FAULTS
        builder.AddTestFaults();
#endif
        return builder;
    }

    /// <summary>
    /// Sources, lowest precedence first: appsettings.json beside the binary, the operator's
    /// conffile, environment variables, the command line.
    /// </summary>
    public static WebApplicationBuilder AddServiceConfiguration(this WebApplicationBuilder builder, string[] args)
    {
        var configFile = Environment.GetEnvironmentVariable(ConfigFileVariable) is { Length: > 0 } path ? path : DefaultConfigFile;
        var configuration = builder.Configuration;
        configuration.Sources.Clear();
        InvalidConfigurationException.Load(() =>
        {
            configuration.AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true, reloadOnChange: false);
            configuration.AddJsonFile(configFile, optional: true, reloadOnChange: false);
            configuration.AddEnvironmentVariables();
            configuration.AddCommandLine(args);
        });
        // One log line per request would cost more than serving it; the conffile's
        // "Logging" section can turn them back on.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        return builder;
    }

    public static WebApplicationBuilder AddServiceOptions(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<ServiceOptions>()
            .Configure<IConfiguration>((options, configuration) => InvalidConfigurationException.Bind(() =>
                // A misspelt key is an error too, never a silently ignored setting.
                configuration.GetSection(ServiceOptions.SectionName).Bind(options, binder => binder.ErrorOnUnknownConfiguration = true)))
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<ServiceOptions>, ServiceOptionsValidator>();
        builder.Services.AddOptions<HostOptions>()
            .Configure<IOptions<ServiceOptions>>((host, service) => host.ShutdownTimeout = service.Value.GetShutdownTimeout());
        return builder;
    }

    public static WebApplicationBuilder AddSharedPortListener(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ListenerSockets>();
        builder.Services.AddSingleton<ConnectionTracker>();
        // Kestrel's socket transport, wrapped so the drain knows every accepted connection
        // and when accepting has ended.
        builder.Services.RemoveAll<IConnectionListenerFactory>();
        builder.Services.AddSingleton<IConnectionListenerFactory, TrackingListenerFactory>();
        builder.Services.AddSingleton<IStartupFilter, RequestTracking>();
        builder.Services.AddOptions<SocketTransportOptions>()
            .Configure<ListenerSockets, IOptions<ServiceOptions>>((transport, sockets, service) =>
            {
                transport.Backlog = service.Value.Backlog;
                transport.CreateBoundListenSocket = sockets.CreateBound;
            });
        // Read once, when Kestrel's options are built (before anything binds); a bad file is an
        // InvalidConfigurationException, so start-up ends with exit 78.
        builder.Services.AddSingleton(provider => ServerCertificate.Load(
            provider.GetRequiredService<IOptions<ServiceOptions>>().Value.Https,
            (provider.GetService<TimeProvider>() ?? TimeProvider.System).GetUtcNow()));
        builder.Services.AddOptions<KestrelServerOptions>()
            .Configure<IOptions<ServiceOptions>, IServiceProvider>((kestrel, service, provider) =>
            {
                KestrelLimits.Apply(kestrel);
                kestrel.Listen(service.Value.GetListenEndPoint());
                kestrel.Listen(ListenerSockets.SelfCheckEndPoint);
                if (service.Value.Https.Enabled)
                {
                    var certificate = provider.GetRequiredService<ServerCertificate>();
                    kestrel.Listen(service.Value.GetHttpsEndPoint(), listen => TlsListen.Configure(listen, certificate));
                    kestrel.Listen(ListenerSockets.TlsSelfCheckEndPoint, listen => TlsListen.Configure(listen, certificate));
                }
            });
        return builder;
    }

    /// <summary>
    /// Type=notify: READY=1 when the host has started (after the self-check), STOPPING=1 on
    /// SIGTERM, and journal priorities on every log line.
    /// </summary>
    public static WebApplicationBuilder AddSystemdIntegration(this WebApplicationBuilder builder)
    {
        builder.Services.AddSystemd();
        if (SystemdHelpers.IsSystemdService())
        {
            return builder;
        }
        // The 10.0 detection only recognises systemd as the parent process, which
        // ProtectProc=invisible hides from us. A supervisor that hands us NOTIFY_SOCKET still
        // expects READY=1 (the next runtime release honours the socket too), and stderr that is
        // the journal (JOURNAL_STREAM) still wants priority prefixes.
        if (Environment.GetEnvironmentVariable("NOTIFY_SOCKET") is { Length: > 0 })
        {
            builder.Services.AddSingleton<ISystemdNotifier, SystemdNotifier>();
            builder.Services.AddSingleton<IHostLifetime, SystemdLifetime>();
        }
        if (Environment.GetEnvironmentVariable("JOURNAL_STREAM") is { Length: > 0 })
        {
            builder.Logging.AddSystemdConsole();
        }
        return builder;
    }

    public static WebApplicationBuilder AddReadinessAndDrain(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ReadinessState>();
        builder.Services.TryAddSingleton(TimeProvider.System);
        // Both are lifecycle services: the self-check's StartedAsync runs after every
        // StartAsync (Kestrel's included), the drain's StoppingAsync before every StopAsync.
        builder.Services.AddHostedService<StartupSelfCheck>();
        builder.Services.AddHostedService<ConnectionDrainer>();
        builder.Services.AddHostedService<StatusReporter>();
        return builder;
    }

    /// <summary>
    /// systemctl reload: SIGHUP makes the main process start a fresh process of the same binary
    /// in the same unit and hand the port and the main-process role over to it once it is ready
    /// (Lifetime/ReloadCoordinator.cs; a process started that way runs SuccessorHandshake too).
    /// Every sd_notify message goes through MainProcessNotifier, which knows which of the two
    /// processes may speak for the unit.
    /// </summary>
    public static WebApplicationBuilder AddReloadInPlace(this WebApplicationBuilder builder)
    {
        var predecessor = SuccessorHandshake.PredecessorFromEnvironment();
        var services = builder.Services;
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(new MainProcessNotifier(new SystemdNotifier(), isSuccessor: predecessor is not null));
        // Registered last, so SystemdLifetime's READY=1 and STOPPING=1 go through it too.
        services.AddSingleton<ISystemdNotifier>(provider => provider.GetRequiredService<MainProcessNotifier>());
        services.AddSingleton<ReloadCoordinator>();
        services.AddHostedService(provider => provider.GetRequiredService<ReloadCoordinator>());
        if (predecessor is { } pid)
        {
            services.AddHostedService(provider => ActivatorUtilities.CreateInstance<SuccessorHandshake>(provider, pid));
        }
        return builder;
    }

    /// <summary>Starts, waits for SIGTERM, and stops; start-up failures become exit codes.</summary>
    public static async Task<int> RunServiceAsync(this WebApplication app)
    {
        try
        {
            await app.StartAsync();
        }
        catch (Exception ex)
        {
            var failure = StartupFailure.Describe(ex, app.Configuration["Service:Listen"] ?? new ServiceOptions().Listen);
            Logging.Log.StartupFailed(app.Logger, failure.Message);
            await StopQuietly(app);
            await app.DisposeAsync();
            return failure.ExitCode;
        }
        await app.WaitForShutdownAsync();
        await app.DisposeAsync();
        return 0;
    }

    private static async Task StopQuietly(WebApplication app)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await app.StopAsync(deadline.Token);
        }
        catch (Exception)
        {
            // Already failing to start; the original error is what the operator needs.
        }
    }
}
