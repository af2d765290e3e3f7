using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using GracefulUpgrade.Harness;
using Xunit.Abstractions;

namespace GracefulUpgrade.IntegrationTests;

/// <summary>
/// Stopping a load once a rollout is done (LoadGenerator.StopAsync, used by FleetRollout),
/// against real listeners on loopback: the stop reports what ab did, and it never drops a
/// request that has waited too long from the count, which would hide a stuck request.
/// </summary>
public sealed class LoadStopTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Settled = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task StoppingAbMidRunReportsItsRequestsWithoutCountingThoseInFlight()
    {
        using var server = Listen(out var port);
        _ = Task.Run(() => AnswerEachAsync(server));
        await using var ab = LoadGenerator.StartAb(port, concurrency: 10, requests: 2_000_000);
        await Task.Delay(TimeSpan.FromSeconds(2));

        var stopping = Stopwatch.StartNew();
        var result = await ab.StopAsync(Settled, TimeSpan.FromSeconds(10));

        output.WriteLine(result.RawOutput);
        Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(5), $"the stop took {stopping.Elapsed}");
        Assert.Null(result.Aborted);
        Assert.InRange(result.Completed, 1, 2_000_000 - 1);
        Assert.True(result.Passed, result.ToString());
    }

    [Fact]
    public async Task StopWaitsForARequestOlderThanSettledInsteadOfDroppingIt()
    {
        using var server = Listen(out var port);
        var accepted = new List<Socket>();
        // Accepts and never answers; ends when the listener is disposed.
        _ = Task.Run(async () =>
        {
            while (true)
            {
                accepted.Add(await server.AcceptAsync());
            }
        });
        await using var ab = LoadGenerator.StartAb(port, concurrency: 1, requests: 1);
        await Task.Delay(Settled * 2);

        var stop = await Assert.ThrowsAsync<TimeoutException>(() => ab.StopAsync(Settled, TimeSpan.FromSeconds(3)));

        output.WriteLine(stop.Message);
        Assert.Contains("a request still unanswered after", stop.Message);
        Assert.True(ab.HasExited);
        accepted.ForEach(socket => socket.Dispose());
    }

    private static Socket Listen(out int port)
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(128);
        port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        return listener;
    }

    /// <summary>HTTP/1.0 as ab speaks it: reads a request's head, answers 200 and closes.</summary>
    private static async Task AnswerEachAsync(Socket listener)
    {
        var answer = Encoding.ASCII.GetBytes("HTTP/1.0 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
        while (true)
        {
            var connection = await listener.AcceptAsync();
            _ = Task.Run(async () =>
            {
                using (connection)
                {
                    var buffer = new byte[4096];
                    var head = new StringBuilder();
                    while (!head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
                    {
                        int read = await connection.ReceiveAsync(buffer);
                        if (read == 0)
                        {
                            return;
                        }
                        head.Append(Encoding.ASCII.GetString(buffer, 0, read));
                    }
                    await connection.SendAsync(answer);
                    connection.Shutdown(SocketShutdown.Both);
                }
            });
        }
    }
}
