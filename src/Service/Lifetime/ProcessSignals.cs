using System.Runtime.InteropServices;

namespace GracefulUpgrade.Service.Lifetime;

/// <summary>
/// The signals of the reload handshake between two processes of one unit. .NET can receive
/// any signal (PosixSignalRegistration takes raw numbers) but only sends SIGKILL, so sending
/// goes through libc's kill(2).
/// </summary>
internal static class ProcessSignals
{
    /// <summary>systemctl reload (ExecReload=) asks the main process to replace itself.</summary>
    public const int Reload = 1; // SIGHUP
    public const int Terminate = 15; // SIGTERM
    public const int Kill = 9; // SIGKILL

    /// <summary>
    /// A successor tells its predecessor "I have passed my self-check". SIGUSR2 rather than
    /// SIGTERM so that the predecessor can tell it apart from systemctl stop, which must also
    /// stop a successor that is still starting.
    /// </summary>
    public const int SuccessorReady = 12; // SIGUSR2

    /// <summary>The predecessor's answer: "you are the unit's main process now".</summary>
    public const int TakenOver = 10; // SIGUSR1

    public static bool Send(int pid, int signal) => kill(pid, signal) == 0;

    /// <summary>Whether the process still exists (signal 0 checks without sending anything).</summary>
    public static bool IsAlive(int pid) => kill(pid, 0) == 0 || Marshal.GetLastPInvokeError() == EPERM;

    private const int EPERM = 1;

    // DllImport, not LibraryImport: the signature is blittable, and LibraryImport's generated
    // stub would need unsafe code in the whole project.
    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);
}
