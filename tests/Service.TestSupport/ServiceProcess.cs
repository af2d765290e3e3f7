using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace GracefulUpgrade.TestSupport;

/// <summary>
/// One published service binary running as a child process, with its own NOTIFY_SOCKET,
/// so a test waits for READY=1 exactly as systemd does instead of sleeping.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();
    private readonly Task _readers;

    private ServiceProcess(Process process, NotifySocket notify)
    {
        _process = process;
        Notify = notify;
        _readers = Task.WhenAll(Pump(process.StandardOutput), Pump(process.StandardError));
    }

    public NotifySocket Notify { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public static ServiceProcess Start(string binary, int port, IEnumerable<string>? extraArgs = null,
        IDictionary<string, string>? environment = null)
    {
        var notify = new NotifySocket();
        var start = new ProcessStartInfo(binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = "/",
        };
        start.ArgumentList.Add($"--Service:Listen=127.0.0.1:{port}");
        foreach (var arg in extraArgs ?? [])
        {
            start.ArgumentList.Add(arg);
        }
        start.Environment["NOTIFY_SOCKET"] = notify.Path;
        // Never read the host's real conffile in tests.
        start.Environment["GRACEFUL_UPGRADE_EXAMPLE_CONFIG"] = "/nonexistent/config.json";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {binary}");
        return new ServiceProcess(process, notify);
    }

    public static async Task<ServiceProcess> StartReadyAsync(string binary, int port, IEnumerable<string>? extraArgs = null)
    {
        var service = Start(binary, port, extraArgs);
        try
        {
            await service.WaitForReadyAsync(TimeSpan.FromSeconds(20));
            return service;
        }
        catch
        {
            await service.DisposeAsync();
            throw;
        }
    }

    public async Task WaitForReadyAsync(TimeSpan timeout)
    {
        var ready = Notify.WaitForAsync("READY=1", timeout);
        var exited = _process.WaitForExitAsync();
        if (await Task.WhenAny(ready, exited) == exited)
        {
            await _readers;
            throw new InvalidOperationException($"service exited with {_process.ExitCode} before READY=1:\n{Log}");
        }
        await ready;
    }

    /// <summary>
    /// Waits until the log carries <paramref name="serviceEvent"/>. The console logger writes
    /// from a queue, so a line may reach stdout after the sd_notify message that followed it.
    /// </summary>
    public async Task WaitForEventAsync(ServiceEvent serviceEvent, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (!ServiceEvents.In(Log).Contains(serviceEvent))
        {
            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException($"service pid {Pid} logged no {serviceEvent} event within {timeout}:\n{Log}");
            }
            await Task.Delay(20);
        }
    }

    public void Terminate() => Cli.Signal(Pid, Cli.SigTerm);

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"service pid {Pid} did not exit within {timeout}:\n{Log}");
        }
        await _readers;
        return _process.ExitCode;
    }

    public static int FreePort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    private async Task Pump(StreamReader reader)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (_log)
            {
                _log.AppendLine(line);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            Cli.Signal(Pid, Cli.SigKill);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        Notify.Dispose();
    }
}
