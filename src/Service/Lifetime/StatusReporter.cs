using System.Net.Sockets;
using GracefulUpgrade.Service.Hosting;
using GracefulUpgrade.Service.Listening;
using GracefulUpgrade.Service.Options;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Options;

namespace GracefulUpgrade.Service.Lifetime;

/// <summary>
/// Keeps systemd's STATUS= current through the hosting notifier, so that "systemctl status"
/// says what the instance is doing: "Serving 1.2.0 on 0.0.0.0:8080, 37 connections", then
/// "Draining: 12 connections left" once the drain has begun. It keeps running through the
/// drain (host lifecycle "Stopping" comes before every StopAsync) and stops with the host.
/// Without systemd (no notifier, or no NOTIFY_SOCKET) it does nothing.
/// </summary>
public sealed class StatusReporter(
    ReadinessState readiness,
    ConnectionTracker connections,
    IOptions<ServiceOptions> options,
    ISystemdNotifier? notifier = null,
    TimeProvider? time = null) : BackgroundService
{
    // Often enough to catch the start of a drain that lasts 0.3 s; StatusText.ShouldSend
    // keeps what is sent to one update a second while the count alone changes.
    private static readonly TimeSpan CheckInterval = TimeSpan.FromMilliseconds(100);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (notifier is not { IsEnabled: true })
        {
            return;
        }
        var clock = time ?? TimeProvider.System;
        var listen = options.Value.Listen;
        string? sentText = null;
        var sentPhase = ReadinessPhase.Starting;
        long sentAt = 0;
        using var timer = new PeriodicTimer(CheckInterval, clock);
        try
        {
            do
            {
                var phase = readiness.Phase;
                var text = StatusText.Format(phase, AppVersion.Current, listen, connections.Open);
                if (StatusText.ShouldSend(text, phase, sentText, sentPhase, clock.GetElapsedTime(sentAt)))
                {
                    notifier.Notify(new ServiceState("STATUS=" + text));
                    (sentText, sentPhase, sentAt) = (text, phase, clock.GetTimestamp());
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (SocketException)
        {
            // A status line is not worth the service: if systemd's socket refuses it, serving
            // goes on without one (READY=1 and STOPPING=1 are the hosting lifetime's own).
        }
    }
}
