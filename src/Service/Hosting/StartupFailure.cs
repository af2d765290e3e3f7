using System.Net.Sockets;
using GracefulUpgrade.Service.Lifetime;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;

namespace GracefulUpgrade.Service.Hosting;

/// <summary>
/// Turns a failed start into one line an operator can act on, and an exit code systemd shows
/// in "systemctl status" (the sysexits.h names: 78/CONFIG, 69/UNAVAILABLE, 70/SOFTWARE).
/// </summary>
public sealed record StartupFailure(int ExitCode, string Message)
{
    public const int ConfigError = 78;
    public const int Unavailable = 69;
    public const int SoftwareError = 70;

    public static StartupFailure Describe(Exception exception, string listen)
    {
        var cause = Cause(exception);
        return cause switch
        {
            OptionsValidationException invalid =>
                new(ConfigError, "Invalid configuration: " + string.Join("; ", invalid.Failures)),
            InvalidDataException file =>
                new(ConfigError, $"Invalid configuration: {file.Message} {file.InnerException?.Message}".TrimEnd()),
            InvalidOperationException binding when IsBindingFailure(binding) =>
                new(ConfigError, "Invalid configuration: " + binding.Message),
            FormatException format =>
                new(ConfigError, "Invalid configuration: " + format.Message),
            AddressInUseException or SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse } =>
                new(Unavailable,
                    $"Cannot listen on {listen} (Service:Listen): the address is in use by a process outside this " +
                    "service's SO_REUSEPORT group (another user, or a program without SO_REUSEPORT). " +
                    $"See who holds it with: ss -ltnp 'sport = :{listen[(listen.LastIndexOf(':') + 1)..]}'"),
            SocketException socket =>
                new(Unavailable, $"Cannot listen on {listen} (Service:Listen): {socket.Message} ({socket.SocketErrorCode})"),
            SelfCheckFailedException selfCheck =>
                new(SoftwareError, selfCheck.Message),
            _ => new(SoftwareError, $"Start-up failed: {cause.GetType().Name}: {cause.Message}"),
        };
    }

    /// <summary>
    /// For failures before logging exists (a conffile that is not JSON): one line on stderr,
    /// with the syslog prefix journald reads as priority "crit" when stderr is the journal.
    /// </summary>
    public static int WriteToStandardError(Exception exception)
    {
        var failure = Describe(exception, "the configured address");
        var prefix = Environment.GetEnvironmentVariable("JOURNAL_STREAM") is { Length: > 0 } ? "<2>" : "";
        Console.Error.WriteLine(prefix + failure.Message);
        return failure.ExitCode;
    }

    // The configuration binder's own message names the key ("Failed to convert configuration
    // value at 'Service:Backlog' ..."); the FormatException inside it does not.
    private static bool IsBindingFailure(Exception exception) =>
        exception is InvalidOperationException && exception.Message.Contains("configuration", StringComparison.OrdinalIgnoreCase);

    // Kestrel and the host wrap the cause (IOException around AddressInUseException, ...);
    // dig down to the first exception that explains itself.
    private static Exception Cause(Exception exception)
    {
        for (var current = exception; ; current = current.InnerException)
        {
            if (current is OptionsValidationException or AddressInUseException or SocketException
                    or SelfCheckFailedException or InvalidDataException
                || IsBindingFailure(current)
                || current.InnerException is null)
            {
                return current;
            }
        }
    }
}
