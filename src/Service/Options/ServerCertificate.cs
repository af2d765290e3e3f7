using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace GracefulUpgrade.Service.Options;

/// <summary>
/// The certificate and chain of Service:Https, read from their PEM files once at start. Any
/// fault is an InvalidConfigurationException naming the setting and the file (exit 78): an
/// upgrade or reload with a bad certificate then fails and the old process keeps serving.
/// </summary>
public sealed record ServerCertificate(X509Certificate2 Certificate, X509Certificate2Collection Chain)
{
    private const string CertificateSetting = ServiceOptions.SectionName + ":Https:CertificateFile";
    private const string KeySetting = ServiceOptions.SectionName + ":Https:KeyFile";

    public static ServerCertificate Load(HttpsOptions https, DateTimeOffset now)
    {
        var certificatePem = ReadPem(CertificateSetting, https.CertificateFile);
        var keyPem = ReadPem(KeySetting, https.KeyFile);

        var all = new X509Certificate2Collection();
        try
        {
            all.ImportFromPem(certificatePem);
        }
        catch (CryptographicException ex)
        {
            throw Invalid(CertificateSetting, https.CertificateFile, $"is not a PEM certificate ({ex.Message})", ex);
        }
        if (all.Count == 0)
        {
            throw Invalid(CertificateSetting, https.CertificateFile, "holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
        }
        // The leaf comes first in a chain file (certbot's fullchain.pem, openssl's order).
        var leaf = all[0];
        if (now < leaf.NotBefore.ToUniversalTime())
        {
            throw Invalid(CertificateSetting, https.CertificateFile, $"is not valid before {leaf.NotBefore.ToUniversalTime():u} (serial {leaf.SerialNumber})");
        }
        if (now > leaf.NotAfter.ToUniversalTime())
        {
            throw Invalid(CertificateSetting, https.CertificateFile, $"expired on {leaf.NotAfter.ToUniversalTime():u} (serial {leaf.SerialNumber})");
        }

        X509Certificate2 withKey;
        try
        {
            withKey = X509Certificate2.CreateFromPem(certificatePem, keyPem);
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            // ArgumentException: a key of another certificate; CryptographicException: no usable key in the file.
            throw Invalid(KeySetting, https.KeyFile, $"is not the private key of the certificate in {CertificateSetting} '{https.CertificateFile}' ({ex.Message})", ex);
        }
        var chain = new X509Certificate2Collection();
        for (int i = 1; i < all.Count; i++)
        {
            chain.Add(all[i]);
        }
        leaf.Dispose();
        return new ServerCertificate(withKey, chain);
    }

    private static string ReadPem(string setting, string path)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new InvalidConfigurationException($"{setting} is empty; Service:Https:Listen is set, so a PEM file is required");
        }
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw Invalid(setting, path, "does not exist", ex);
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
        {
            throw Invalid(setting, path, $"cannot be read ({ex.Message}); the service runs as user graceful-upgrade-example (root:graceful-upgrade-example 0640 lets it read)", ex);
        }
    }

    private static InvalidConfigurationException Invalid(string setting, string path, string reason, Exception? inner = null) =>
        new($"{setting} '{path}' {reason}", inner);
}
