namespace GracefulUpgrade.TestSupport;

/// <summary>Paths in the repository the tests run from.</summary>
public static class Repo
{
    public static string Root { get; } = FindRoot();

    public static string BuildDir => Path.Combine(Root, "build");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Service.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"Service.sln not found above {AppContext.BaseDirectory}");
    }
}
