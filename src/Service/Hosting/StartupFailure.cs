using System.Net.Sockets;
using GracefulUpgrade.Service.Lifetime;
using GracefulUpgrade.Service.Listening;
using GracefulUpgrade.Service.Options;
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
            InvalidConfigurationException invalid =>
                new(ConfigError, "Invalid configuration: " + invalid.Message),
            ListenFailedException { SocketErrorCode: SocketError.AddressAlreadyInUse } failed =>
                new(Unavailable, InUse($"{failed.Address} ({failed.Setting})", failed.Address.Port)),
            ListenFailedException failed =>
                new(Unavailable, failed.Message),
            // Every shared port is bound by ListenerSockets, which names its setting; this is
            // only for a bind outside it, where the address is all that is known.
            AddressInUseException or SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse } =>
                new(Unavailable, InUse(listen, int.TryParse(listen[(listen.LastIndexOf(':') + 1)..], out var port) ? port : null)),
            SocketException socket =>
                new(Unavailable, $"Cannot listen on {listen}: {socket.Message} ({socket.SocketErrorCode})"),
            SelfCheckFailedException selfCheck =>
                new(SoftwareError, selfCheck.Message),
            _ => new(SoftwareError, $"Start-up failed: {cause.GetType().Name}: {cause.Message}"),
        };
    }

    private static string InUse(string what, int? port) =>
        $"Cannot listen on {what}: the address is in use by a process outside this service's SO_REUSEPORT group " +
        "(another user, or a program without SO_REUSEPORT)." +
        (port is { } p ? $" See who holds it with: ss -ltnp 'sport = :{p}'" : "");

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

    // Kestrel and the host wrap the cause (IOException around AddressInUseException, ...);
    // dig down to the first exception that explains itself.
    private static Exception Cause(Exception exception)
    {
        for (var current = exception; ; current = current.InnerException)
        {
            if (current is OptionsValidationException or InvalidConfigurationException or ListenFailedException
                    or AddressInUseException or SocketException or SelfCheckFailedException
                || current.InnerException is null)
            {
                return current;
            }
        }
    }
}
