using System.Reflection;

namespace GracefulUpgrade.Service.Hosting;

/// <summary>
/// The version stamped into the binary at build time (-p:Version=1.2.0), which is also the
/// package version and the systemd instance name.
/// </summary>
public static class AppVersion
{
    public static string Current { get; } = FromAssembly(typeof(AppVersion).Assembly);

    public static string FromAssembly(Assembly assembly)
    {
        var informational = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        if (string.IsNullOrEmpty(informational))
        {
            return assembly.GetName().Version?.ToString(3) ?? "0.0.0";
        }
        // The SDK may append "+<commit>"; the package version is the part before it.
        int plus = informational.IndexOf('+');
        return plus < 0 ? informational : informational[..plus];
    }
}
