using System.Net;
using System.Net.Sockets;
using System.Text;

namespace GracefulUpgrade.Service.Lifetime;

/// <summary>
/// One plain HTTP/1.1 GET over a fresh TCP connection. Deliberately not HttpClient: this runs
/// once on the start-up path, and a raw exchange costs far less to load than the HTTP stack.
/// </summary>
public static class HttpProbe
{
    public sealed record Response(int StatusCode, string? AppVersion);

    public static async Task<Response> GetAsync(IPEndPoint endPoint, string path, CancellationToken cancellationToken)
    {
        using var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(endPoint, cancellationToken);
        var request = Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        await socket.SendAsync(request, SocketFlags.None, cancellationToken);

        var buffer = new byte[8192];
        int length = 0;
        while (length < buffer.Length)
        {
            int read = await socket.ReceiveAsync(buffer.AsMemory(length), SocketFlags.None, cancellationToken);
            if (read == 0)
            {
                break;
            }
            length += read;
            if (buffer.AsSpan(0, length).IndexOf("\r\n\r\n"u8) >= 0)
            {
                break;
            }
        }
        return Parse(Encoding.ASCII.GetString(buffer, 0, length));
    }

    public static Response Parse(string head)
    {
        var lines = head.Split("\r\n");
        var status = lines[0].Split(' ', 3);
        if (status.Length < 2 || !status[0].StartsWith("HTTP/1.", StringComparison.Ordinal) || !int.TryParse(status[1], out int code))
        {
            throw new InvalidDataException($"not an HTTP response: '{lines[0]}'");
        }
        string? version = null;
        foreach (var line in lines.Skip(1))
        {
            if (line.Length == 0)
            {
                break;
            }
            int colon = line.IndexOf(':');
            if (colon > 0 && line.AsSpan(0, colon).Equals(Endpoints.ServiceHeaders.AppVersion, StringComparison.OrdinalIgnoreCase))
            {
                version = line[(colon + 1)..].Trim();
            }
        }
        return new Response(code, version);
    }
}
