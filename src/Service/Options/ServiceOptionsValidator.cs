using Microsoft.Extensions.Options;

namespace GracefulUpgrade.Service.Options;

/// <summary>
/// Checks each setting's own range (source-generated from the attributes, so Native AOT
/// keeps them without reflection), then the rules that tie two settings together.
/// Every message starts with the setting's configuration path so an operator can find it.
/// </summary>
public sealed class ServiceOptionsValidator : IValidateOptions<ServiceOptions>
{
    private const string Section = ServiceOptions.SectionName;

    public ValidateOptionsResult Validate(string? name, ServiceOptions options)
    {
        var result = new ValidateOptionsResultBuilder();
        result.AddResult(new ServiceOptionsAttributeValidator().Validate(Section, options));

        if (!ListenAddress.TryParse(options.Listen, out _, out var listenError))
        {
            result.AddError($"{Section}:Listen {listenError}");
        }
        ValidateHttps(options, result);
        if (options.DrainWindowSeconds >= options.ShutdownTimeoutSeconds)
        {
            result.AddError(
                $"{Section}:DrainWindowSeconds ({options.DrainWindowSeconds}) must be less than {Section}:ShutdownTimeoutSeconds ({options.ShutdownTimeoutSeconds})");
        }
        if (options.SelfCheck.AttemptTimeoutSeconds > options.SelfCheck.BudgetSeconds)
        {
            result.AddError(
                $"{Section}:SelfCheck:AttemptTimeoutSeconds ({options.SelfCheck.AttemptTimeoutSeconds}) must not exceed {Section}:SelfCheck:BudgetSeconds ({options.SelfCheck.BudgetSeconds})");
        }
        // A reload gives its new process this long to pass the self-check; a longer budget
        // would let a slow self-check be cut off as a failed reload.
        var reloadDeadline = Lifetime.ReloadCoordinator.SuccessorDeadline.TotalSeconds;
        if (options.SelfCheck.BudgetSeconds >= reloadDeadline)
        {
            result.AddError(
                $"{Section}:SelfCheck:BudgetSeconds ({options.SelfCheck.BudgetSeconds}) must be less than {reloadDeadline}, the time a reload gives its new process to become ready");
        }
        return result.Build();
    }

    // The files themselves are checked where they are read (ServerCertificate), with the same
    // exit status; here only what the settings say on their own.
    private static void ValidateHttps(ServiceOptions options, ValidateOptionsResultBuilder result)
    {
        var https = options.Https;
        if (!https.Enabled)
        {
            if (https.CertificateFile.Length > 0 || https.KeyFile.Length > 0)
            {
                result.AddError($"{Section}:Https:CertificateFile and KeyFile are set but {Section}:Https:Listen is empty; set it (e.g. 0.0.0.0:8443) to serve HTTPS");
            }
            return;
        }
        if (!ListenAddress.TryParse(https.Listen, out var httpsEndPoint, out var httpsError))
        {
            result.AddError($"{Section}:Https:Listen {httpsError}");
        }
        else if (ListenAddress.TryParse(options.Listen, out var plain, out _) && plain.Port == httpsEndPoint.Port)
        {
            result.AddError($"{Section}:Https:Listen '{https.Listen}' uses the port of {Section}:Listen '{options.Listen}'; each needs its own port");
        }
        if (string.IsNullOrWhiteSpace(https.CertificateFile))
        {
            result.AddError($"{Section}:Https:CertificateFile is empty; {Section}:Https:Listen is set, so a PEM certificate file is required");
        }
        if (string.IsNullOrWhiteSpace(https.KeyFile))
        {
            result.AddError($"{Section}:Https:KeyFile is empty; {Section}:Https:Listen is set, so a PEM key file is required");
        }
    }
}

[OptionsValidator]
internal sealed partial class ServiceOptionsAttributeValidator : IValidateOptions<ServiceOptions>;
