using GracefulUpgrade.TestSupport;

namespace GracefulUpgrade.UnitTests;

/// <summary>The tests' reading of ab and wrk summaries: a wrong parse would hide failures.</summary>
public sealed class LoadResultTests
{
    [Fact]
    public void ReadsAbFailuresAndNon2xx()
    {
        var result = LoadResult.FromAb("""
            Complete requests:      200000
            Failed requests:        12
               (Connect: 0, Receive: 4, Length: 8, Exceptions: 0)
            Non-2xx responses:      3
            Requests per second:    7433.08 [#/sec] (mean)
            """);
        Assert.Equal((200000, 12, 3, 7433.08), (result.Completed, result.Failed, result.Non2xx, result.RequestsPerSecond));
        Assert.Equal(8, result.RequestsCutOff);
    }

    [Fact]
    public void AbWithoutFailuresCutNoRequestOff()
    {
        var result = LoadResult.FromAb("""
            Complete requests:      1000
            Failed requests:        0
            Requests per second:    7433.08 [#/sec] (mean)
            """);
        Assert.Equal((0, 0), (result.Failed, result.RequestsCutOff));
    }

    [Fact]
    public void AbWithoutASummaryIsAnError()
    {
        Assert.Throws<FormatException>(() => LoadResult.FromAb("apr_socket_recv: Connection reset by peer (104)"));
    }

    [Fact]
    public void ReadsWrkSocketErrors()
    {
        var result = LoadResult.FromWrk("""
              59994 requests in 2.00s, 10.81MB read
              Socket errors: connect 0, read 5, write 1, timeout 2
              Non-2xx or 3xx responses: 7
            Requests/sec:  29933.60
            """);
        Assert.Equal((59994, 8, 7, 29933.60), (result.Completed, result.SocketErrors, result.Non2xx, result.RequestsPerSecond));
    }
}
