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
}

[OptionsValidator]
internal sealed partial class ServiceOptionsAttributeValidator : IValidateOptions<ServiceOptions>;
