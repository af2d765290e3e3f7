
namespace GracefulUpgrade.UpgradeDemo.Box;

/// <summary>
/// Before any load: the old version is active in the box and is what answers on the port.
/// The port is shared by SO_REUSEPORT; anything else answering there would spoil the figures.
/// </summary>
internal sealed class Preflight(SystemdBox box, Uri target, string oldVersion, string newVersion)
{
    public async Task CheckAsync(TimeSpan deadline, CancellationToken cancel)
    {
        if (await box.IsActiveAsync(oldVersion, cancel) != "active")
        {
            throw new DemoException($"{SystemdBox.Instance(oldVersion)} is not active in box {box.Name}: install {oldVersion} first");
        }
        if (await box.IsActiveAsync(newVersion, cancel) == "active")
        {
            throw new DemoException($"{SystemdBox.Instance(newVersion)} is already active in box {box.Name}: nothing to upgrade");
        }
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        client.DefaultRequestHeaders.ConnectionClose = true;
        var giveUp = DateTime.UtcNow + deadline;
        string last = "no answer";
        // A few answers in a row, each on a new connection, so every listener of the port is asked.
        for (int good = 0; good < 20;)
        {
            if (DateTime.UtcNow > giveUp)
            {
                throw new DemoException($"{target} did not answer as {oldVersion} within {deadline.TotalSeconds:F0} s (last: {last})");
            }
            try
            {
                using var response = await client.GetAsync(target, cancel);
                var version = response.Headers.TryGetValues("X-App-Version", out var values) ? values.FirstOrDefault() : null;
                if (response.IsSuccessStatusCode && version == oldVersion)
                {
                    good++;
                    continue;
                }
                if (version is not null && version != oldVersion)
                {
                    throw new DemoException($"{target} answered as version {version}, not {oldVersion}: is something else listening on the port?");
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
