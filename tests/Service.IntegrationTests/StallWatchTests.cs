using System.Net;
using System.Net.Sockets;
using GracefulUpgrade.Harness;
using GracefulUpgrade.TestSupport;
using Xunit.Abstractions;

namespace GracefulUpgrade.IntegrationTests;

/// <summary>
/// The harness's diagnosis of a stalled ab request (Load/StallWatch.cs), against a real
/// listener that accepts and never answers: the failure it reports must say where the
/// connection sits, or a rare stall in CI stays a mystery.
/// </summary>
public sealed class StallWatchTests(ITestOutputHelper output)
{
    [Fact]
    public async Task AbRequestThatGetsNoAnswerIsReportedWithTheSocketsOfThePort()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(16);
        int port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        var accepted = new List<Socket>();
        // Accepts and never reads or answers; ends when the listener is disposed.
        _ = Task.Run(async () =>
        {
            while (true)
            {
                accepted.Add(await listener.AcceptAsync());
            }
        });

        await using var ab = LoadGenerator.StartAb(port, concurrency: 1, requests: 1);
        // ab gives up after its own 30 s timeout.
        var result = await ab.WaitForResultAsync(TimeSpan.FromSeconds(90));

        output.WriteLine(result.RawOutput);
        Assert.NotNull(result.Aborted);
        Assert.Contains($"--- stall: ab has had the same 1 connection(s) to port {port} open", result.RawOutput);
        // The snapshot lists the listening socket with its accept queue, and the stuck connection.
        Assert.Contains("LISTEN", result.RawOutput);
        Assert.Contains("ESTAB", result.RawOutput);
        Assert.Contains($"127.0.0.1:{port}", result.RawOutput);
        accepted.ForEach(socket => socket.Dispose());
    }
}
