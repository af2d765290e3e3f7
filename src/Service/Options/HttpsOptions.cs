namespace GracefulUpgrade.Service.Options;

/// <summary>
/// The optional TLS listener: off while Listen is empty (the default), so a package installed
/// without a certificate serves plain HTTP only. When on, it is a second shared port with its
/// own SO_REUSEPORT group and the same drain as the plain one.
/// </summary>
public sealed class HttpsOptions
{
    /// <summary>Address and port for HTTPS (TLS 1.2/1.3, HTTP/1.1 and HTTP/2 by ALPN); empty turns it off.</summary>
    public string Listen { get; set; } = "";

    /// <summary>PEM file: the server certificate first, then its chain (e.g. certbot's fullchain.pem).</summary>
    public string CertificateFile { get; set; } = "";

    /// <summary>PEM file with the certificate's private key (PKCS#8, PKCS#1 or SEC1).</summary>
    public string KeyFile { get; set; } = "";

    public bool Enabled => !string.IsNullOrWhiteSpace(Listen);
}
