using System.Net.Sockets;
using GracefulUpgrade.Service.Hosting;
using GracefulUpgrade.Service.Lifetime;
using Microsoft.AspNetCore.Connections;
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
        Assert.StartsWith("Cannot listen on 0.0.0.0:8080 (Service:Listen): the address is in use", failure.Message);
        Assert.Contains("ss -ltnp 'sport = :8080'", failure.Message);
    }

    [Fact]
    public void SelfCheckFailureKeepsItsMessage()
    {
        var failure = StartupFailure.Describe(new AggregateException(new SelfCheckFailedException("no answer")), "x");
        Assert.Equal(70, failure.ExitCode);
        Assert.Equal("Start-up self-check failed: no answer", failure.Message);
    }

    [Fact]
    public void UnreadableConffileIsAConfigurationError()
    {
        var failure = StartupFailure.Describe(
            new InvalidDataException("Failed to load configuration from file '/etc/x/config.json'.", new FormatException("bad token")), "x");
        Assert.Equal(78, failure.ExitCode);
        Assert.Equal("Invalid configuration: Failed to load configuration from file '/etc/x/config.json'. bad token", failure.Message);
    }
}
