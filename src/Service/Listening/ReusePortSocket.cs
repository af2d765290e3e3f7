using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

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
    private const int SoAttachReuseportCbpf = 51;
    // One classic BPF instruction, BPF_RET | BPF_K with k = 1: "socket 1 of the group".
    private const ulong ReturnOne = 0x06 | (1UL << 32);

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

    /// <summary>
    /// Makes the port's SO_REUSEPORT group hand every new connection to its member at index 1,
    /// called by each process right after its listen(). The kernel appends a new listener at
    /// the end of the group and moves the last one into a leaving one's slot, so while an old
    /// and a new instance both listen the old one is at 0 and the new one at 1: from its
    /// listen() on (which comes only after its self-check) the new one gets every new
    /// connection, and the old one none. With one member, index 1 does not exist and the kernel
    /// falls back to its hash. Without this, the old listener kept getting half of the new
    /// handshakes until it closed, and a handshake completing on another CPU at the instant it
    /// closed was reset (inet_csk_reqsk_queue_add finds it no longer listening; the client has
    /// sent its request): 1 request in about 1 of 20 handovers under ab -c 1000 on loopback.
    /// Steered away first, the old listener has no handshake left to complete when it closes.
    /// Queued connections still move with net.ipv4.tcp_migrate_req=1, which a classic BPF
    /// program leaves to the hash.
    /// </summary>
    public static void SteerNewConnectionsToTheNewest(Socket listener)
    {
        var program = GCHandle.Alloc(new[] { ReturnOne }, GCHandleType.Pinned);
        try
        {
            // struct sock_fprog { unsigned short len; struct sock_filter *filter; } on x86-64.
            Span<byte> fprog = stackalloc byte[16];
            fprog.Clear();
            BinaryPrimitives.WriteUInt16LittleEndian(fprog, 1);
            BinaryPrimitives.WriteInt64LittleEndian(fprog[8..], program.AddrOfPinnedObject());
            listener.SetRawSocketOption(SolSocket, SoAttachReuseportCbpf, fprog);
        }
        finally
        {
            program.Free();
        }
    }

    public static bool HasReusePort(Socket socket)
    {
        Span<byte> value = stackalloc byte[4];
        int length = socket.GetRawSocketOption(SolSocket, SoReusePort, value);
        return length == 4 && BitConverter.ToInt32(value) != 0;
    }
}
