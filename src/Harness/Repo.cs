namespace GracefulUpgrade.Harness;

/// <summary>The repository the harness runs from: where ops/ and build/ are.</summary>
public static class Repo
{
    private static readonly Lazy<string?> Found = new(Find);

    /// <summary>The directory holding Service.sln, above this program's binary or the current directory.</summary>
    public static string Root => Found.Value
        ?? throw new HarnessException($"Service.sln not found above {AppContext.BaseDirectory} or {Environment.CurrentDirectory}");

    public static string? TryRoot => Found.Value;

    public static string BuildDir => Path.Combine(Root, "build");

    public static string Ops(string relative) => Path.Combine(Root, "ops", relative);

    private static string? Find()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Service.sln")))
                {
                    return dir.FullName;
                }
            }
        }
        return null;
    }
}
