namespace GracefulUpgrade.UnitTests;

/// <summary>The verdict on an Http2Load run: what counts as passed, and what the handler re-sent.</summary>
public sealed class Http2LoadResultTests
{
    private static Http2LoadResult Result(long requests, long succeeded, long non2xx = 0, long errors = 0, long notHttp2 = 0, long headersSent = -1) =>
        new("test", requests, succeeded, non2xx,
            errors == 0 ? new Dictionary<string, long>() : new Dictionary<string, long> { ["HttpRequestError.ConnectionError"] = errors },
            errors == 0 ? new Dictionary<string, string>() : new Dictionary<string, string> { ["HttpRequestError.ConnectionError"] = "refused" },
            new Dictionary<string, long> { ["1.0.0"] = succeeded + non2xx }, notHttp2, 2, 0, headersSent < 0 ? requests : headersSent, 1, 5);

    [Fact]
    public void EveryRequestAnswered2xxOverHttp2Passes() => Assert.True(Result(100, 100).Passed);

    [Theory]
    [InlineData(100, 99, 1, 0, 0)]
    [InlineData(100, 99, 0, 1, 0)]
    [InlineData(100, 100, 0, 0, 1)]
    [InlineData(0, 0, 0, 0, 0)]
    public void AnyErrorNon2xxOrOtherProtocolFails(long requests, long succeeded, long non2xx, long errors, long notHttp2)
    {
        var result = Result(requests, succeeded, non2xx, errors, notHttp2);
        Assert.False(result.Passed, result.ToString());
        Assert.Equal(errors, result.Failed);
    }

    [Fact]
    public void HeadersSentBeyondTheRequestsAreTheHandlersReSends()
    {
        var result = Result(1000, 1000, headersSent: 1128);
        Assert.Equal(128, result.ResentByHandler);
        Assert.Contains("128 re-sent by the handler", result.ToString());
    }
}
