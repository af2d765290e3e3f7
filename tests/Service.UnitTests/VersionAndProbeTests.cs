using System.Reflection;
using System.Reflection.Emit;
using GracefulUpgrade.Service.Hosting;
using GracefulUpgrade.Service.Lifetime;

namespace GracefulUpgrade.UnitTests;

public sealed class VersionAndProbeTests
{
    [Theory]
    [InlineData("1.2.0", "1.2.0")]
    [InlineData("1.2.0+abc123", "1.2.0")]
    [InlineData("2.1.0-rc.1", "2.1.0-rc.1")] // a pre-release suffix is part of the version
    public void VersionIsTheInformationalVersionWithoutBuildMetadata(string informational, string expected)
    {
        var assembly = AssemblyBuilder.DefineDynamicAssembly(new AssemblyName("Versioned"), AssemblyBuilderAccess.Run);
        assembly.SetCustomAttribute(new CustomAttributeBuilder(
            typeof(AssemblyInformationalVersionAttribute).GetConstructor([typeof(string)])!, [informational]));

        Assert.Equal(expected, AppVersion.FromAssembly(assembly));
    }

    [Fact]
    public void ProbeReadsStatusAndVersionHeader()
    {
        var response = HttpProbe.Parse("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nx-app-version: 2.0.0\r\n\r\nok\n");
        Assert.Equal(200, response.StatusCode);
        Assert.Equal("2.0.0", response.AppVersion);
    }

    [Fact]
    public void ProbeReportsAMissingVersionAsNull()
    {
        Assert.Null(HttpProbe.Parse("HTTP/1.1 500 Internal Server Error\r\n\r\n").AppVersion);
    }

    [Theory]
    [InlineData("")]
    [InlineData("SSH-2.0-OpenSSH\r\n")]
    [InlineData("HTTP/1.1 abc\r\n\r\n")]
    public void ProbeRejectsWhatIsNotHttp(string head)
    {
        Assert.Throws<InvalidDataException>(() => HttpProbe.Parse(head));
    }
}
