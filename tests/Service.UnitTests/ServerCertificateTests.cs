using GracefulUpgrade.Service.Hosting;
using GracefulUpgrade.Service.Options;
using GracefulUpgrade.TestSupport;

namespace GracefulUpgrade.UnitTests;

/// <summary>
/// Service:Https's files, checked where they are read: every fault is exit 78 with one line
/// that names the setting and the file. Certificates are made by the test (TestCertificates).
/// </summary>
public sealed class ServerCertificateTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "gue-cert-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static HttpsOptions Https(string certificateFile, string keyFile) =>
        new() { Listen = "127.0.0.1:8443", CertificateFile = certificateFile, KeyFile = keyFile };

    private static StartupFailure Fails(HttpsOptions https, DateTimeOffset? now = null)
    {
        var thrown = Assert.Throws<InvalidConfigurationException>(() => ServerCertificate.Load(https, now ?? DateTimeOffset.UtcNow));
        var failure = StartupFailure.Describe(thrown, "0.0.0.0:8080");
        Assert.Equal(StartupFailure.ConfigError, failure.ExitCode);
        Assert.DoesNotContain('\n', failure.Message);
        return failure;
    }

    [Fact]
    public void LoadsTheLeafWithItsKeyAndTheRestOfTheFileAsTheChain()
    {
        var files = TestCertificates.Write(_directory);

        var loaded = ServerCertificate.Load(Https(files.CertificateFile, files.KeyFile), DateTimeOffset.UtcNow);

        Assert.True(loaded.Certificate.HasPrivateKey);
        Assert.Equal(files.Leaf.SerialNumber, loaded.Certificate.SerialNumber);
        Assert.Equal(files.Authority.Thumbprint, Assert.Single(loaded.Chain).Thumbprint);
    }

    [Fact]
    public void AMissingCertificateFileNamesTheSettingAndTheFile()
    {
        var files = TestCertificates.Write(_directory);
        var missing = Path.Combine(_directory, "nope.crt");

        var failure = Fails(Https(missing, files.KeyFile));

        Assert.Equal($"Invalid configuration: Service:Https:CertificateFile '{missing}' does not exist", failure.Message);
    }

    [Fact]
    public void AMissingKeyFileNamesTheSettingAndTheFile()
    {
        var files = TestCertificates.Write(_directory);
        var missing = Path.Combine(_directory, "gone", "server.key");

        var failure = Fails(Https(files.CertificateFile, missing));

        Assert.Equal($"Invalid configuration: Service:Https:KeyFile '{missing}' does not exist", failure.Message);
    }

    [Fact]
    public void AnUnreadableFileNamesTheSettingAndTheFile()
    {
        var files = TestCertificates.Write(_directory);
        // A directory cannot be read as a file, also for root (which a mode of 000 would not stop).
        var unreadable = Directory.CreateDirectory(Path.Combine(_directory, "a-directory")).FullName;

        var failure = Fails(Https(files.CertificateFile, unreadable));

        Assert.StartsWith($"Invalid configuration: Service:Https:KeyFile '{unreadable}' cannot be read", failure.Message);
    }

    [Fact]
    public void AnExpiredCertificateIsRefused()
    {
        var files = TestCertificates.Write(_directory, DateTimeOffset.UtcNow.AddDays(-30), DateTimeOffset.UtcNow.AddDays(-1));

        var failure = Fails(Https(files.CertificateFile, files.KeyFile));

        Assert.StartsWith($"Invalid configuration: Service:Https:CertificateFile '{files.CertificateFile}' expired on ", failure.Message);
    }

    [Fact]
    public void ACertificateNotYetValidIsRefused()
    {
        var files = TestCertificates.Write(_directory, DateTimeOffset.UtcNow.AddDays(2), DateTimeOffset.UtcNow.AddDays(30));

        var failure = Fails(Https(files.CertificateFile, files.KeyFile));

        Assert.StartsWith($"Invalid configuration: Service:Https:CertificateFile '{files.CertificateFile}' is not valid before ", failure.Message);
    }

    [Fact]
    public void AKeyOfAnotherCertificateIsRefusedNamingTheKeyFile()
    {
        var files = TestCertificates.Write(_directory);
        var other = TestCertificates.Write(_directory, name: "other");

        var failure = Fails(Https(files.CertificateFile, other.KeyFile));

        Assert.StartsWith(
            $"Invalid configuration: Service:Https:KeyFile '{other.KeyFile}' is not the private key of the certificate in Service:Https:CertificateFile '{files.CertificateFile}'",
            failure.Message);
    }

    [Fact]
    public void AFileWithoutAPemCertificateIsRefused()
    {
        var files = TestCertificates.Write(_directory);

        // The key file given as the certificate: PEM, but no CERTIFICATE block.
        var failure = Fails(Https(files.KeyFile, files.KeyFile));

        Assert.StartsWith($"Invalid configuration: Service:Https:CertificateFile '{files.KeyFile}' holds no PEM certificate", failure.Message);
    }
}
