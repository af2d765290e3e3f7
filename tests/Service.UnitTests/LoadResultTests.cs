namespace GracefulUpgrade.UnitTests;

/// <summary>
/// The harness's reading of ab, wrk and h2load, against their real outputs (Recorded/README.md):
/// a wrong parse would hide failures from the demo's verdict, the tests and the benchmarks.
/// </summary>
public sealed class LoadResultTests
{
    private static string Recorded(string name)
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "Recorded");
        var stderr = Path.Combine(dir, name + ".stderr.txt");
        return File.ReadAllText(Path.Combine(dir, name + ".txt")) + (File.Exists(stderr) ? File.ReadAllText(stderr) : "");
    }

    [Fact]
    public void AbRunWithoutFailuresPasses()
    {
        var result = LoadResult.FromAb(Recorded("ab-passed"));

        Assert.Equal((20000L, 0L, 0L, 15550.76, 1.286, 20.0), (result.Completed, result.Failed, result.Non2xx, result.RequestsPerSecond, result.Seconds, result.LongestMs));
        Assert.Null(result.Aborted);
        Assert.True(result.Passed);
    }

    [Fact]
    public void AbCountsNon2xxResponses()
    {
        var result = LoadResult.FromAb(Recorded("ab-non2xx"));

        Assert.Equal((5000L, 5000L), (result.Completed, result.Non2xx));
        Assert.False(result.Passed);
    }

    [Fact]
    public void AbWithRAgainstAKilledServerCountsEveryFailureAndItsBreakdown()
    {
        var result = LoadResult.FromAb(Recorded("ab-server-killed"));

        Assert.Null(result.Aborted);
        Assert.Equal((2000000L, 4951143L, 1978496L), (result.Completed, result.Failed, result.RequestsCutOff));
        Assert.Equal("Connect: 3, Receive: 1978496, Length: 1978496, Exceptions: 994148", result.FailedBreakdown);
        Assert.False(result.Passed);
    }

    [Fact]
    public void AbAbortedByAResetSaysWhyAndHowFarItGot()
    {
        var result = LoadResult.FromAb(Recorded("ab-aborted-server-killed"));

        Assert.Equal("apr_socket_recv: Connection reset by peer (104)", result.Aborted);
        Assert.Equal(17704, result.Completed);
        Assert.False(result.Passed);
        Assert.Contains("ABORTED", result.ToString());
    }

    [Fact]
    public void AbEndedByItsDefaultTimeoutIsAborted()
    {
        var result = LoadResult.FromAb(Recorded("ab-timeout"));

        Assert.Equal("apr_pollset_poll: The timeout specified has expired (70007)", result.Aborted);
        Assert.Equal(0, result.Completed);
        Assert.False(result.Passed);
    }

    [Fact]
    public void WrkRunWithoutErrorsPasses()
    {
        var result = LoadResult.FromWrk(Recorded("wrk-passed"));

        Assert.Equal((194611L, 0L, 0L, 64763.45, 3.0, 6.85), (result.Completed, result.SocketErrors, result.Non2xx, result.RequestsPerSecond, result.Seconds, result.LongestMs));
        Assert.True(result.Passed);
    }

    [Fact]
    public void WrkAgainstAKilledServerCountsSocketErrors()
    {
        var result = LoadResult.FromWrk(Recorded("wrk-server-killed"));

        Assert.Equal((123936L, 181L + 247935L), (result.Completed, result.SocketErrors));
        Assert.Equal(11.69, result.LongestMs);
        Assert.False(result.Passed);
    }

    [Fact]
    public void H2loadRunWithoutFailuresPasses()
    {
        var result = LoadResult.FromH2load(Recorded("h2load-passed"));

        Assert.Equal((20000L, 0L, 0L, 55819.46, 0.3583, 6.43), (result.Completed, result.Failed, result.Non2xx, result.RequestsPerSecond, result.Seconds, result.LongestMs));
        Assert.True(result.Passed);
    }

    [Fact]
    public void H2loadAgainstAKilledServerCountsFailedRequests()
    {
        var result = LoadResult.FromH2load(Recorded("h2load-server-killed"));

        Assert.Equal((91465L, 1908535L), (result.Completed, result.Failed));
        Assert.False(result.Passed);
    }

    [Fact]
    public void WrkOverHttpsWithItsVersionScriptSumsTheVersionsOfEveryThread()
    {
        var result = LoadResult.FromWrk(Recorded("wrk-https-versions-upgrade"));

        Assert.Equal((489902L, 0L, 0L, 0L), (result.Completed, result.Failed, result.Non2xx, result.SocketErrors));
        Assert.Equal(new Dictionary<string, long> { ["1.0.0"] = 69643 + 71418, ["2.0.0"] = 174128 + 174713 }, result.Versions);
        Assert.Equal(result.Completed, result.Versions.Values.Sum());
        Assert.True(result.Passed);
    }

    [Fact]
    public void WrkWithoutTheVersionScriptHasNoVersions() =>
        Assert.Empty(LoadResult.FromWrk(Recorded("wrk-passed")).Versions);

    [Theory]
    // 399,407 started, 399,279 done: 128 sent and never answered.
    [InlineData("h2load-h2-goaway-upgrade", 399279L, 399279L, 600721L)]
    // 224,873 started and done, 224,761 succeeded: 112 ended without an answer, yet "done".
    [InlineData("h2load-h2-goaway-upgrade-2", 224873L, 224761L, 775239L)]
    public void H2loadOverHttp2AcrossGoAwayCountsEveryRequestItDidNotGetAnsweredAsFailed(string recorded, long done, long succeeded, long failed)
    {
        var result = LoadResult.FromH2load(Recorded(recorded));

        Assert.Equal((done, succeeded, failed, 0L), (result.Completed, result.Succeeded, result.Failed, result.Non2xx));
        Assert.Equal(1_000_000L, result.Requested);
        Assert.Equal(result.Requested, result.Succeeded + result.Failed);
        Assert.Equal($"(errored: {failed}, timeout: 0)", result.FailedBreakdown);
        Assert.False(result.Passed);
    }

    [Fact]
    public void H2loadOverHttp11AnswersEveryRequestItWasAskedFor()
    {
        var result = LoadResult.FromH2load(Recorded("h2load-passed"));
        Assert.Equal((20000L, 20000L), (result.Requested, result.Succeeded));
        Assert.Null(LoadResult.FromWrk(Recorded("wrk-passed")).Requested);
    }

    [Fact]
    public void AbTimingsGiveTheRealRequestRate()
    {
        var timings = AbTimings.Read(Path.Combine(AppContext.BaseDirectory, "Recorded", "ab-gnuplot.tsv"));

        Assert.Equal(2000, timings.Requests.Count);
        Assert.Equal(2000, timings.StartedPerSecond().Sum(s => s.Count));
        Assert.Equal(LoadResult.FromAb(Recorded("ab-gnuplot")).LongestMs, timings.Requests.Max(r => r.TotalMs));
    }

    [Theory]
    [InlineData("640.41us", 0.64041)]
    [InlineData("6.85ms", 6.85)]
    [InlineData("1.50s", 1500)]
    [InlineData("2m", 120000)]
    public void DurationsAsTheToolsPrintThem(string text, double milliseconds) =>
        Assert.Equal(milliseconds, LoadResult.Milliseconds(text)!.Value, 6);
}
