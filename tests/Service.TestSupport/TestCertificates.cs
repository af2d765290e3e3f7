using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace GracefulUpgrade.TestSupport;

/// <summary>
/// Certificates made by the test itself (no network, no fixed files that expire): a CA and a
/// server certificate for localhost/127.0.0.1 signed by it, written as PEM files the way an
/// operator would install them (leaf then chain in one file, the key in another).
/// </summary>
public static class TestCertificates
{
    public sealed record PemFiles(string CertificateFile, string KeyFile, X509Certificate2 Leaf, X509Certificate2 Authority);

    public static PemFiles Write(string directory, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null, string name = "server")
    {
        Directory.CreateDirectory(directory);
        var from = notBefore ?? DateTimeOffset.UtcNow.AddDays(-1);
        var to = notAfter ?? DateTimeOffset.UtcNow.AddDays(30);

        using var authorityKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var authorityRequest = new CertificateRequest("CN=graceful-upgrade-example test CA", authorityKey, HashAlgorithmName.SHA256);
        authorityRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        authorityRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        var authority = authorityRequest.CreateSelfSigned(from.AddDays(-1), to.AddDays(1));

        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var leafRequest = new CertificateRequest("CN=localhost", leafKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        leafRequest.CertificateExtensions.Add(names.Build());
        leafRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        leafRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var leaf = leafRequest.Create(authority, from, to, RandomNumberGenerator.GetBytes(12));

        var certificateFile = Path.Combine(directory, name + ".crt");
        var keyFile = Path.Combine(directory, name + ".key");
        File.WriteAllText(certificateFile, leaf.ExportCertificatePem() + "\n" + authority.ExportCertificatePem() + "\n");
        File.WriteAllText(keyFile, leafKey.ExportPkcs8PrivateKeyPem() + "\n");
        return new PemFiles(certificateFile, keyFile, leaf, authority);
    }

    /// <summary>Accepts exactly the given authority as the root, for HttpClient or SslStream.</summary>
    public static bool IsIssuedBy(X509Certificate2? presented, X509Certificate2 authority)
    {
        if (presented is null)
        {
            return false;
        }
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(presented);
    }
}
