using Microsoft.Extensions.Hosting.Systemd;

namespace GracefulUpgrade.Service.Lifetime;

/// <summary>
/// The sd_notify channel of one process, aware that during a reload two processes of the unit
/// run and only one of them is the unit's main process (NotifyAccess=main: systemd accepts
/// messages from the main process only). A process speaks for the unit only while it is main:
///  - a successor sends nothing until it has taken over, no READY=1 in particular: the unit is
///    already running, and its predecessor, still the main process, makes it the main one
///    (MAINPID=) once it is ready;
///  - a predecessor sends nothing after handing over: its STOPPING=1 would be refused at best,
///    and with a wider NotifyAccess would stop the whole unit.
/// </summary>
public sealed class MainProcessNotifier(ISystemdNotifier inner, bool isSuccessor) : ISystemdNotifier
{
    private volatile bool _awaitingTakeover = isSuccessor;
    private volatile bool _handedOver;

    public bool IsEnabled => inner.IsEnabled;

    public void Notify(ServiceState state)
    {
        if (_handedOver || _awaitingTakeover)
        {
            return;
        }
        inner.Notify(state);
    }

    /// <summary>From here on this process speaks to systemd as the main process.</summary>
    public void TakenOver() => _awaitingTakeover = false;

    /// <summary>Makes <paramref name="successorPid"/> the unit's main process; this one falls silent.</summary>
    public void HandOver(int successorPid)
    {
        inner.Notify(new ServiceState($"MAINPID={successorPid}"));
        _handedOver = true;
    }
}
