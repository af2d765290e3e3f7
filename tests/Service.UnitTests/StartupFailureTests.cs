using System.Net;
using System.Net.Sockets;
using GracefulUpgrade.Service.Hosting;
using GracefulUpgrade.Service.Lifetime;
using GracefulUpgrade.Service.Listening;
using GracefulUpgrade.Service.Options;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace GracefulUpgrade.UnitTests;

public sealed class StartupFailureTests
{
    [Fact]
    public void InvalidOptionsAreAConfigurationError()
    {
        var failure = StartupFailure.Describe(
            new OptionsValidationException("Service", typeof(object), ["Service:Listen 'x' is not an IP address and port"]), "x");
        Assert.Equal(78, failure.ExitCode);
        Assert.Equal("Invalid configuration: Service:Listen 'x' is not an IP address and port", failure.Message);
    }

    [Fact]
    public void AddressInUseNamesTheAddressAndHowToFindTheHolder()
    {
        var wrapped = new IOException("Failed to bind to address http://0.0.0.0:8080: address already in use.",
            new AddressInUseException("Address already in use", new SocketException((int)SocketError.AddressAlreadyInUse)));

        var failure = StartupFailure.Describe(wrapped, "0.0.0.0:8080");

        Assert.Equal(69, failure.ExitCode);
        // A bind outside ListenerSockets: only the address is known, so no setting is claimed.
        Assert.StartsWith("Cannot listen on 0.0.0.0:8080: the address is in use", failure.Message);
        Assert.Contains("ss -ltnp 'sport = :8080'", failure.Message);
    }

    [Theory]
    [InlineData("Service:Listen", "0.0.0.0:8080")]
    [InlineData("Service:Https:Listen", "0.0.0.0:8443")]
    public void AddressInUseNamesTheSettingAndTheAddressThatFailed(string setting, string address)
    {
        // As Kestrel passes it on: the transport's bind callback threw, nothing wraps it in between.
        var failed = new ListenFailedException(setting, IPEndPoint.Parse(address), new SocketException((int)SocketError.AddressAlreadyInUse));

        // The plain listen address is what the host hands in; the failure must not name it for HTTPS.
        var failure = StartupFailure.Describe(new AggregateException(failed), "0.0.0.0:8080");

        Assert.Equal(69, failure.ExitCode);
        Assert.StartsWith($"Cannot listen on {address} ({setting}): the address is in use", failure.Message);
        Assert.Contains($"ss -ltnp 'sport = :{address[(address.LastIndexOf(':') + 1)..]}'", failure.Message);
    }

    [Fact]
    public void OtherListenFailuresNameTheSettingAndTheSocketError()
    {
        var failed = new ListenFailedException("Service:Https:Listen", IPEndPoint.Parse("192.0.2.1:8443"),
            new SocketException((int)SocketError.AddressNotAvailable));

        var failure = StartupFailure.Describe(failed, "0.0.0.0:8080");

        Assert.Equal(69, failure.ExitCode);
        Assert.StartsWith("Cannot listen on 192.0.2.1:8443 (Service:Https:Listen): ", failure.Message);
        Assert.EndsWith("(AddressNotAvailable)", failure.Message);
    }

    [Fact]
    public void SelfCheckFailureKeepsItsMessage()
    {
        var failure = StartupFailure.Describe(new AggregateException(new SelfCheckFailedException("no answer")), "x");
        Assert.Equal(70, failure.ExitCode);
        Assert.Equal("Start-up self-check failed: no answer", failure.Message);
    }

    [Fact]
    public void ConffileThatIsNotJsonIsAConfigurationErrorNamingTheFile()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "{ \"Service\": ");
            var failure = Describe(() => InvalidConfigurationException.Load(() => new ConfigurationManager().AddJsonFile(file)));
            Assert.Equal(78, failure.ExitCode);
            Assert.StartsWith($"Invalid configuration: Failed to load configuration from file '{file}'.", failure.Message);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("Service:Backlog", "many", "'Service:Backlog'")]
    [InlineData("Service:DrainWindowSecnds", "3", "'DrainWindowSecnds'")]
    public void SettingTheBinderRejectsIsAConfigurationErrorNamingTheKey(string key, string value, string named)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddInMemoryCollection([new(key, value)]);
        builder.AddServiceOptions();

        // The host's own options read ServiceOptions (ShutdownTimeout), so Build() binds them.
        var failure = Describe(() => builder.Build());
        Assert.Equal(78, failure.ExitCode);
        Assert.Contains(named, failure.Message);
    }

    [Fact]
    public void OtherInvalidOperationExceptionsAreNotConfigurationErrorsWhateverTheySay()
    {
        // Exit 78 also stops systemd's restarts: only configuration reading may claim it.
        var failure = StartupFailure.Describe(new InvalidOperationException("The configuration of the pipeline is broken"), "x");
        Assert.Equal(70, failure.ExitCode);
        Assert.StartsWith("Start-up failed: InvalidOperationException:", failure.Message);
    }

    private static StartupFailure Describe(Action start)
    {
        var thrown = Assert.ThrowsAny<Exception>(start);
        return StartupFailure.Describe(thrown, "x");
    }
}
