using System.ComponentModel.DataAnnotations;
using System.Net;
using Microsoft.Extensions.Options;

namespace GracefulUpgrade.Service.Options;

/// <summary>
/// Everything an operator may set, bound from the "Service" section of
/// /etc/graceful-upgrade-example/config.json, environment variables (Service__Listen=...)
/// and the command line (--Service:Listen=...). Validated before anything binds.
/// </summary>
public sealed class ServiceOptions
{
    public const string SectionName = "Service";

    /// <summary>Address and port shared by every instance through SO_REUSEPORT.</summary>
    [Required]
    public string Listen { get; set; } = "0.0.0.0:8080";

    /// <summary>Listen backlog; Kestrel's 512 overflows under 1,000 concurrent connects.</summary>
    [Range(16, 65535)]
    public int Backlog { get; set; } = 4096;

    /// <summary>
    /// After SIGTERM: how long the closed-listener phase may last, answering in-flight and
    /// keep-alive requests with "Connection: close" so clients reconnect to the new instance.
    /// </summary>
    [Range(0.0, 300.0)]
    public double DrainWindowSeconds { get; set; } = 2;

    /// <summary>
    /// Upper bound on the whole stop: requests still running then are aborted (and logged).
    /// Must stay above DrainWindowSeconds and below the unit's TimeoutStopSec (the stop
    /// timeline: the header of ops/systemd/graceful-upgrade-example@.service).
    /// </summary>
    [Range(1.0, 600.0)]
    public double ShutdownTimeoutSeconds { get; set; } = 20;

    [Required, ValidateObjectMembers]
    public SelfCheckOptions SelfCheck { get; set; } = new();

    [Required, ValidateObjectMembers]
    public DelayEndpointOptions DelayEndpoint { get; set; } = new();

    /// <summary>A second, TLS listener beside Listen; off by default.</summary>
    [Required]
    public HttpsOptions Https { get; set; } = new();

    internal IPEndPoint GetListenEndPoint() => ListenAddress.Parse(Listen, $"{SectionName}:Listen");

    internal IPEndPoint GetHttpsEndPoint() => ListenAddress.Parse(Https.Listen, $"{SectionName}:Https:Listen");

    /// <summary>The shared addresses for log lines: "0.0.0.0:8080" or "0.0.0.0:8080 and https 0.0.0.0:8443".</summary>
    internal string DescribeListeners() => Https.Enabled ? $"{Listen} and https {Https.Listen}" : Listen;

    internal TimeSpan GetDrainWindow() => TimeSpan.FromSeconds(DrainWindowSeconds);

    internal TimeSpan GetShutdownTimeout() => TimeSpan.FromSeconds(ShutdownTimeoutSeconds);
}

/// <summary>The start-up probe that must pass before READY=1 is sent.</summary>
public sealed class SelfCheckOptions
{
    /// <summary>Total budget for all attempts; below a reload's deadline for its new process (ServiceOptionsValidator).</summary>
    [Range(0.1, 300.0)]
    public double BudgetSeconds { get; set; } = 10;

    [Range(0.01, 60.0)]
    public double AttemptTimeoutSeconds { get; set; } = 1;

    [Range(0, 100)]
    public int MaxRetries { get; set; } = 8;

    internal TimeSpan GetBudget() => TimeSpan.FromSeconds(BudgetSeconds);

    internal TimeSpan GetAttemptTimeout() => TimeSpan.FromSeconds(AttemptTimeoutSeconds);
}

/// <summary>GET /delay?ms=N, for an operator checking the drain settings on a host (docs/operations.md); off unless turned on.</summary>
public sealed class DelayEndpointOptions
{
    public bool Enabled { get; set; }

    [Range(0.0, 600.0)]
    public double MaxDelaySeconds { get; set; } = 60;

    internal TimeSpan GetMaxDelay() => TimeSpan.FromSeconds(MaxDelaySeconds);
}
