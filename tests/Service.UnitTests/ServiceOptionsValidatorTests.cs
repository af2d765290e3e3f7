using GracefulUpgrade.Service.Options;

namespace GracefulUpgrade.UnitTests;

public sealed class ServiceOptionsValidatorTests
{
    private static IReadOnlyList<string> Failures(ServiceOptions options) =>
        new ServiceOptionsValidator().Validate(null, options).Failures?.ToList() ?? [];

    [Fact]
    public void DefaultsAreValid()
    {
        Assert.Empty(Failures(new ServiceOptions()));
        Assert.Equal("0.0.0.0:8080", new ServiceOptions().Listen);
    }

    [Theory]
    [InlineData("0.0.0.0:8080")]
    [InlineData("127.0.0.1:1")]
    [InlineData("[::]:8080")]
    [InlineData("[::1]:65535")]
    public void AcceptsAnIpAndAFixedPort(string listen)
    {
        Assert.Empty(Failures(new ServiceOptions { Listen = listen }));
    }

    [Theory]
    [InlineData("", "is empty")]
    [InlineData("8080", "is not an IP address and port")]
    [InlineData("0.0.0.0", "is not an IP address and port")]
    [InlineData("localhost:8080", "is not an IP address and port")]
    [InlineData("0.0.0.0:70000", "is not an IP address and port")]
    [InlineData("::1", "is not an IP address and port")]
    [InlineData("127.0.0.1:0", "has port 0")]
    public void RejectsListenAddressesNamingTheSetting(string listen, string reason)
    {
        var failure = Assert.Single(Failures(new ServiceOptions { Listen = listen }), f => f.StartsWith("Service:Listen", StringComparison.Ordinal));
        Assert.Contains(reason, failure);
    }

    [Theory]
    [InlineData(nameof(ServiceOptions.Backlog), 15)]
    [InlineData(nameof(ServiceOptions.Backlog), 65536)]
    public void RejectsBacklogOutOfRange(string setting, int value)
    {
        var failures = Failures(new ServiceOptions { Backlog = value });
        Assert.Contains(failures, f => f.Contains(setting));
    }

    [Fact]
    public void DrainWindowMustEndBeforeTheShutdownTimeout()
    {
        var failures = Failures(new ServiceOptions { DrainWindowSeconds = 20, ShutdownTimeoutSeconds = 20 });
        Assert.Contains("Service:DrainWindowSeconds (20) must be less than Service:ShutdownTimeoutSeconds (20)", failures);
    }

    [Fact]
    public void SelfCheckAttemptMayNotOutlastItsBudget()
    {
        var options = new ServiceOptions { SelfCheck = { BudgetSeconds = 1, AttemptTimeoutSeconds = 2 } };
        Assert.Contains(Failures(options), f => f.StartsWith("Service:SelfCheck:AttemptTimeoutSeconds (2) must not exceed", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(20.0)]
    [InlineData(300.0)]
    public void SelfCheckBudgetMustFitInsideAReloadsDeadline(double seconds)
    {
        var options = new ServiceOptions { SelfCheck = { BudgetSeconds = seconds } };
        Assert.Contains(Failures(options), f => f.StartsWith($"Service:SelfCheck:BudgetSeconds ({seconds}) must be less than 20", StringComparison.Ordinal));
        Assert.Empty(Failures(new ServiceOptions { SelfCheck = { BudgetSeconds = 19 } }));
    }

    [Theory]
    [InlineData(-1.0)]
    [InlineData(301.0)]
    public void RejectsNegativeOrHugeDrainWindow(double seconds)
    {
        Assert.Contains(Failures(new ServiceOptions { DrainWindowSeconds = seconds }), f => f.Contains("DrainWindowSeconds"));
    }

    [Fact]
    public void NestedSettingsAreValidatedToo()
    {
        var options = new ServiceOptions { SelfCheck = { MaxRetries = -1 }, DelayEndpoint = { MaxDelaySeconds = 1000 } };
        var failures = Failures(options);
        Assert.Contains(failures, f => f.Contains("MaxRetries"));
        Assert.Contains(failures, f => f.Contains("MaxDelaySeconds"));
    }

    [Fact]
    public void HttpsIsOffByDefault()
    {
        Assert.False(new ServiceOptions().Https.Enabled);
    }

    [Fact]
    public void HttpsNeedsBothFilesNamingEachSetting()
    {
        var failures = Failures(new ServiceOptions { Https = new HttpsOptions { Listen = "0.0.0.0:8443" } });

        Assert.Contains(failures, f => f.StartsWith("Service:Https:CertificateFile is empty", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Service:Https:KeyFile is empty", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("0.0.0.0:8080", "uses the port of Service:Listen")]
    [InlineData("8443", "is not an IP address and port")]
    [InlineData("127.0.0.1:0", "has port 0")]
    public void RejectsHttpsListenAddressesNamingTheSetting(string listen, string reason)
    {
        var https = new HttpsOptions { Listen = listen, CertificateFile = "/c.pem", KeyFile = "/k.pem" };
        var failure = Assert.Single(Failures(new ServiceOptions { Https = https }));
        Assert.StartsWith("Service:Https:Listen", failure);
        Assert.Contains(reason, failure);
    }

    [Fact]
    public void CertificateFilesWithoutAnHttpsListenAreAnError()
    {
        var failure = Assert.Single(Failures(new ServiceOptions { Https = new HttpsOptions { CertificateFile = "/c.pem", KeyFile = "/k.pem" } }));
        Assert.Contains("Service:Https:Listen is empty", failure);
    }

    [Fact]
    public void HttpsBesidePlainHttpIsValid()
    {
        var https = new HttpsOptions { Listen = "0.0.0.0:8443", CertificateFile = "/c.pem", KeyFile = "/k.pem" };
        Assert.Empty(Failures(new ServiceOptions { Https = https }));
    }
}
