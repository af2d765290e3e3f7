using System.Diagnostics;

namespace GracefulUpgrade.Service.Hosting;

/// <summary>
/// When this process started, read once from /proc (the ready log line and GET /version
/// both report it).
/// </summary>
public static class ProcessStart
{
    public static DateTimeOffset Time { get; } = Read();

    public static TimeSpan Elapsed => DateTimeOffset.Now - Time;

    private static DateTimeOffset Read()
    {
        using var self = Process.GetCurrentProcess();
        return new DateTimeOffset(self.StartTime);
    }
}
