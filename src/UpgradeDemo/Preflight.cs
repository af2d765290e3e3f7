using GracefulUpgrade.Harness;

namespace GracefulUpgrade.UpgradeDemo;

/// <summary>
/// Before any load: the old version is active in the box and is the only thing answering on
/// the port. The port is shared by SO_REUSEPORT; anything else answering there would spoil the figures.
/// </summary>
internal sealed class Preflight(SystemdBox box, string oldVersion, string newVersion)
{
    private static readonly Uri Target = new($"http://127.0.0.1:{SystemdBox.Port}/");

    public async Task CheckAsync(TimeSpan deadline, CancellationToken cancel)
    {
        if (await box.SystemctlAsync("is-active", oldVersion, cancel) != "active")
        {
            throw new DemoException($"{SystemdBox.Instance(oldVersion)} is not active in box {box.Name}: install {oldVersion} first");
        }
        if (await box.SystemctlAsync("is-active", newVersion, cancel) == "active")
        {
            throw new DemoException($"{SystemdBox.Instance(newVersion)} is already active in box {box.Name}: nothing to upgrade");
        }
        // A service of the same user elsewhere would share the port with the old version
        // (SO_REUSEPORT) and take part of the load: it must be the only listener.
        var listeners = (await Cli.RunAsync("ss", ["-Hltn", $"sport = :{SystemdBox.Port}"], TimeSpan.FromSeconds(10), cancel: cancel))
            .Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (listeners.Length != 1)
        {
            throw new DemoException($"{listeners.Length} listeners on port {SystemdBox.Port}, expected only {oldVersion}'s");
        }
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        client.DefaultRequestHeaders.ConnectionClose = true;
        var giveUp = DateTime.UtcNow + deadline;
        string last = "no answer";
        // A few answers in a row, each on a new connection.
        for (int good = 0; good < 20;)
        {
            if (DateTime.UtcNow > giveUp)
            {
                throw new DemoException($"{Target} did not answer as {oldVersion} within {deadline.TotalSeconds:F0} s (last: {last})");
            }
            try
            {
                using var response = await client.GetAsync(Target, cancel);
                var version = response.Headers.TryGetValues("X-App-Version", out var values) ? values.FirstOrDefault() : null;
                if (response.IsSuccessStatusCode && version == oldVersion)
                {
                    good++;
                    continue;
                }
                if (version is not null && version != oldVersion)
                {
                    throw new DemoException($"{Target} answered as version {version}, not {oldVersion}: is something else listening on the port?");
                }
                last = $"HTTP {(int)response.StatusCode}, X-App-Version {version ?? "missing"}";
            }
            catch (HttpRequestException ex)
            {
                last = ex.GetBaseException().Message;
            }
            good = 0;
            await Task.Delay(200, cancel);
        }
    }
}
