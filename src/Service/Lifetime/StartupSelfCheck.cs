using System.Diagnostics;
using System.Net;
using GracefulUpgrade.Service.Hosting;
using GracefulUpgrade.Service.Listening;
using GracefulUpgrade.Service.Logging;
using GracefulUpgrade.Service.Options;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace GracefulUpgrade.Service.Lifetime;

/// <summary>
/// Makes READY=1 mean "really ready". It runs after Kestrel has bound and started, and before
/// the host raises ApplicationStarted (which is when SystemdLifetime sends READY=1): it proves
/// that the shared sockets (bound, not yet listening) carry SO_REUSEPORT and that this
/// process's request pipeline answers a real request, and with HTTPS configured that a TLS
/// handshake with the configured certificate and a request through it succeed on the private TLS twin of the HTTPS port.
/// Then the shared sockets start listening. If it never passes, start-up fails, no READY=1
/// is sent, this process never listened on the shared port, and the instance that is already
/// serving keeps every connection.
/// </summary>
public sealed class StartupSelfCheck(
    ListenerSockets listeners,
    ReadinessState readiness,
    IOptions<ServiceOptions> options,
    IServiceProvider services,
    ILogger<StartupSelfCheck> logger) : IHostedLifecycleService
{
    private Task<ResiliencePipeline>? _pipeline;

    /// <summary>
    /// First thing in Main: builds a pipeline of the self-check's shape (default settings) on the
    /// thread pool and runs it once with nothing to do, while the main thread builds the host.
    /// A process's first Polly build validates the strategies' options through DataAnnotations
    /// and TypeDescriptor, and its first run has Native AOT's type loader build the strategies'
    /// generic dictionaries; done here, neither is left for StartingAsync, whose build the
    /// self-check waits for. Measured with ops/bench/ready-probe.c, 31 alternating starts each:
    /// time to ready 18.1 against 19.5 ms (docs/benchmarks.md). Nothing of it is kept: the real
    /// pipeline is built from the configured settings in StartingAsync and reports its own errors.
    /// </summary>
    public static void WarmUpInBackground() => ThreadPool.UnsafeQueueUserWorkItem(static _ =>
    {
        try
        {
            BuildPipeline(new SelfCheckOptions(), NullLogger.Instance)
                .ExecuteAsync(static _ => ValueTask.CompletedTask).AsTask().GetAwaiter().GetResult();
        }
        catch (Exception)
        {
            // Only a head start: whatever failed here fails again, and is reported, in StartingAsync.
        }
    }, null);

    /// <summary>
    /// Builds the retry pipeline from the configured settings on another thread while Kestrel
    /// starts (why building it costs time at all: <see cref="WarmUpInBackground"/>).
    /// </summary>
    public Task StartingAsync(CancellationToken cancellationToken)
    {
        _pipeline = Task.Run(() => BuildPipeline(options.Value.SelfCheck, logger), cancellationToken);
        return Task.CompletedTask;
    }

    public async Task StartedAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value.SelfCheck;
        var pipeline = await (_pipeline ?? Task.FromResult(BuildPipeline(settings, logger)));
        var shared = listeners.Shared;
        int expectedShared = options.Value.Https.Enabled ? 2 : 1;
        if (shared.Count != expectedShared)
        {
            throw new SelfCheckFailedException($"{shared.Count} shared listener(s) were created, expected {expectedShared}");
        }
        foreach (var socket in shared.Where(socket => !ReusePortSocket.HasReusePort(socket)))
        {
            throw new SelfCheckFailedException($"the listener on {socket.LocalEndPoint} does not have SO_REUSEPORT set");
        }
        // Resolved only with HTTPS on: resolving it reads the files.
        var certificate = options.Value.Https.Enabled ? services.GetRequiredService<ServerCertificate>().Certificate : null;
        var tlsEndPoint = new IPEndPoint(IPAddress.Loopback, listeners.TlsSelfCheckPort);
        string? tlsProtocol = null;

        var stopwatch = Stopwatch.StartNew();
        int attempts = 0;
        string? lastFailure = null;
        var endPoint = new IPEndPoint(IPAddress.Loopback, listeners.SelfCheckPort);
        try
        {
            await pipeline.ExecuteAsync(async token =>
            {
                attempts++;
                var response = await HttpProbe.GetAsync(endPoint, "/healthz", token);
                if (response.StatusCode != 200 || response.AppVersion != AppVersion.Current)
                {
                    lastFailure = $"GET /healthz answered {response.StatusCode} with version '{response.AppVersion}', expected 200 and '{AppVersion.Current}'";
                    throw new InvalidDataException(lastFailure);
                }
                if (certificate is not null)
                {
                    lastFailure = null;
                    var secure = await HttpProbe.GetAsync(tlsEndPoint, "/healthz", certificate, token);
                    if (secure.StatusCode != 200 || secure.AppVersion != AppVersion.Current)
                    {
                        lastFailure = $"GET /healthz over TLS on port {tlsEndPoint.Port} answered {secure.StatusCode} with version '{secure.AppVersion}', expected 200 and '{AppVersion.Current}'";
                        throw new InvalidDataException(lastFailure);
                    }
                    tlsProtocol = secure.TlsProtocol;
                }
            }, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw new SelfCheckFailedException(
                $"GET /healthz on this process's loopback port {endPoint.Port} did not succeed within " +
                $"Service:SelfCheck:BudgetSeconds ({settings.BudgetSeconds} s) after {attempts} attempt(s): {lastFailure ?? ex.Message}", ex);
        }

        Log.SelfCheckPassed(logger, endPoint.Port, attempts, stopwatch.ElapsedMilliseconds);
        if (tlsProtocol is not null)
        {
            Log.TlsSelfCheckPassed(logger, tlsEndPoint.Port, tlsProtocol, certificate!.SerialNumber, certificate.NotAfter.ToUniversalTime());
        }
        // Only now does this process join the port group (DeferredListener): a build that
        // failed above never answered a client. listen() returns before READY=1 is sent.
        listeners.StartListening(options.Value.Backlog);
        Log.Listening(logger, AppVersion.Current, Environment.ProcessId, options.Value.DescribeListeners(), options.Value.Backlog);
        readiness.MarkReady();
        Log.Ready(logger, (long)ProcessStart.Elapsed.TotalMilliseconds);
    }

    private static ResiliencePipeline BuildPipeline(SelfCheckOptions settings, ILogger logger) =>
        new ResiliencePipelineBuilder()
            // Outermost: the whole self-check, retries included, ends by the budget.
            .AddTimeout(settings.GetBudget())
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(ex => ex is not OperationCanceledException || ex is TimeoutRejectedException),
                MaxRetryAttempts = settings.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                Delay = TimeSpan.FromMilliseconds(20),
                MaxDelay = TimeSpan.FromSeconds(1),
                UseJitter = true,
                OnRetry = args =>
                {
                    Log.SelfCheckRetry(logger, args.AttemptNumber + 1, args.Outcome.Exception?.Message ?? "no answer", (long)args.RetryDelay.TotalMilliseconds);
                    return default;
                },
            })
            // Innermost: one attempt may not hang on a stuck connection.
            .AddTimeout(settings.GetAttemptTimeout())
            .Build();

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

public sealed class SelfCheckFailedException(string message, Exception? inner = null)
    : Exception("Start-up self-check failed: " + message, inner);
