using System.Net;
using System.Net.Sockets;

namespace GracefulUpgrade.Service.Listening;

/// <summary>
/// A shared port that could not be bound, with the setting it came from (Service:Listen or
/// Service:Https:Listen), so the start-up failure line names the one the operator must look at.
/// </summary>
public sealed class ListenFailedException(string setting, IPEndPoint address, SocketException cause)
    : Exception($"Cannot listen on {address} ({setting}): {cause.Message} ({cause.SocketErrorCode})", cause)
{
    public string Setting { get; } = setting;

    public IPEndPoint Address { get; } = address;

    public SocketError SocketErrorCode => cause.SocketErrorCode;
}
