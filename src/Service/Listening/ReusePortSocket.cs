using System.Net;
using System.Net.Sockets;

namespace GracefulUpgrade.Service.Listening;

/// <summary>
/// Creates listening sockets that several processes of the same user can bind at once.
/// </summary>
public static class ReusePortSocket
{
    // SocketOptionName.ReuseAddress maps to SO_REUSEADDR only; Linux's SO_REUSEPORT has no
    // managed name, so it is set by its raw number at level SOL_SOCKET.
    private const int SolSocket = 1;
    private const int SoReusePort = 15;

    public static Socket CreateBound(IPEndPoint endPoint)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endPoint.AddressFamily == AddressFamily.InterNetworkV6 && endPoint.Address.Equals(IPAddress.IPv6Any))
            {
                socket.DualMode = true;
            }
            socket.SetRawSocketOption(SolSocket, SoReusePort, BitConverter.GetBytes(1));
            socket.NoDelay = true;
            socket.Bind(endPoint);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public static bool HasReusePort(Socket socket)
    {
        Span<byte> value = stackalloc byte[4];
        int length = socket.GetRawSocketOption(SolSocket, SoReusePort, value);
        return length == 4 && BitConverter.ToInt32(value) != 0;
    }
}
