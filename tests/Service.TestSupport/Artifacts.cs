namespace GracefulUpgrade.TestSupport;

/// <summary>
/// The service as it ships: Native AOT binaries and .deb packages, built once per version
/// and reused by every test in the run (ops/test.sh builds them up front; a test run started
/// another way builds what is missing on first use).
/// </summary>
public static class Artifacts
{
    public const string V1 = "1.0.0";
    public const string V2 = "2.0.0";
    public const string V3 = "3.0.0";
    public const string V4 = "4.0.0";
    public const string V5 = "5.0.0";

    /// <summary>
    /// A build published with --test-faults: it misbehaves on request (GUE_TEST_FAULT) and
    /// exists only in test runs; the shipped binary has no such code. Its version is as long as
    /// the others' so that ab, which counts a response of another length as failed, still
    /// counts only real failures.
    /// </summary>
    public const string Faulty = "6.6.6";

    private static readonly SemaphoreSlim Gate = new(1, 1);

    public static string PublishDir(string version) => Path.Combine(Repo.BuildDir, "publish", version);

    public static async Task<string> BinaryAsync(string version)
    {
        var binary = Path.Combine(PublishDir(version), "graceful-upgrade-example");
        await Gate.WaitAsync();
        try
        {
            if (!File.Exists(binary))
            {
                await Cli.RunAsync(Path.Combine(Repo.Root, "ops", "publish.sh"), version == Faulty ? [version, "--test-faults"] : [version], TimeSpan.FromMinutes(10))
                    .ContinueWith(t => t.Result.EnsureSuccess($"ops/publish.sh {version}"));
            }
        }
        finally
        {
            Gate.Release();
        }
        return binary;
    }

    public static async Task<string> DebAsync(string version)
    {
        var deb = Path.Combine(Repo.BuildDir, $"graceful-upgrade-example_{version}_amd64.deb");
        if (File.Exists(deb))
        {
            return deb;
        }
        var binary = await BinaryAsync(version);
        await Gate.WaitAsync();
        try
        {
            if (!File.Exists(deb))
            {
                var result = await Cli.RunAsync(Path.Combine(Repo.Root, "ops", "fpm.sh"), [version], TimeSpan.FromMinutes(10),
                    new Dictionary<string, string> { ["GUE_PREBUILT_BINARY"] = binary });
                result.EnsureSuccess($"ops/fpm.sh {version}");
            }
        }
        finally
        {
            Gate.Release();
        }
        return deb;
    }
}
