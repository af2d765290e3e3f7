using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace GracefulUpgrade.TestSupport;

/// <summary>
/// One slow request (e.g. GET /delay?ms=15000) on its own raw TCP connection, so a test knows
/// its client port and can prove that the service has read it before an upgrade begins: then
/// it is in flight on the instance that was serving at that moment, not on a later one.
/// </summary>
public sealed class HeldRequest : IDisposable
{
    private readonly Socket _socket;
    private readonly int _serverPort;

    private HeldRequest(Socket socket, int serverPort)
    {
        _socket = socket;
        _serverPort = serverPort;
    }

    public int LocalPort => ((System.Net.IPEndPoint)_socket.LocalEndPoint!).Port;

    public static async Task<HeldRequest> SendAsync(int port, string pathAndQuery)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync("127.0.0.1", port);
        await socket.SendAsync(Encoding.ASCII.GetBytes($"GET {pathAndQuery} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"));
        return new HeldRequest(socket, port);
    }

    /// <summary>
    /// Waits until a server process has accepted the connection and read the request: the
    /// server side of it is established with nothing left in its receive queue (ss, on this
    /// network namespace, which the systemd box shares).
    /// </summary>
    public async Task WaitUntilReadByServerAsync(TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var ss = await Cli.ShAsync($"ss -Htn state established '( sport = :{_serverPort} and dport = :{LocalPort} )'", TimeSpan.FromSeconds(10));
            // Columns: Recv-Q Send-Q Local Peer.
            var columns = ss.Output.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (columns.Length >= 4 && columns[0] == "0")
            {
                return;
            }
            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException($"the server did not read the request from port {LocalPort} within {timeout}: '{ss.Output.Trim()}'");
            }
            await Task.Delay(20);
        }
    }

    /// <summary>
    /// The response, or null when the connection ended without one (closed or reset by the
    /// server's end, as when the process serving it dies).
    /// </summary>
    public async Task<HeldResponse?> ResponseAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        var received = new MemoryStream();
        var buffer = new byte[4096];
        try
        {
            int read;
            while ((read = await _socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token)) > 0)
            {
                received.Write(buffer, 0, read);
            }
        }
        catch (SocketException)
        {
            // Reset: whatever arrived before it is judged below.
        }
        return HeldResponse.Parse(Encoding.ASCII.GetString(received.ToArray()));
    }

    public void Dispose() => _socket.Dispose();
}

/// <summary>A complete HTTP/1.1 response's status and X-App-Version.</summary>
public sealed record HeldResponse(int Status, string? Version)
{
    public static HeldResponse? Parse(string raw)
    {
        var headerEnd = raw.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (headerEnd < 0 || !raw.StartsWith("HTTP/1.1 ", StringComparison.Ordinal))
        {
            return null;
        }
        var lines = raw[..headerEnd].Split("\r\n");
        var status = int.Parse(lines[0].Split(' ')[1]);
        var version = lines.Skip(1)
            .Select(line => line.Split(':', 2))
            .Where(pair => pair.Length == 2 && pair[0].Equals("X-App-Version", StringComparison.OrdinalIgnoreCase))
            .Select(pair => pair[1].Trim())
            .FirstOrDefault();
        return new HeldResponse(status, version);
    }
}
