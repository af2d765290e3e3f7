namespace GracefulUpgrade.Service.Options;

/// <summary>
/// A configuration the service cannot use, raised only where configuration is read (loading
/// the sources, binding the "Service" section, parsing Service:Listen), so that start-up turns
/// it into exit 78, which systemd does not restart: retrying cannot fix a setting. Other
/// failures keep their own types and codes, whatever their messages say.
/// </summary>
public sealed class InvalidConfigurationException(string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>Loads configuration sources: a file that is not JSON.</summary>
    internal static void Load(Action load)
    {
        try
        {
            load();
        }
        catch (InvalidDataException file)
        {
            // "Failed to load configuration from file '...'." names the file, the inner one the fault.
            throw new InvalidConfigurationException($"{file.Message} {file.InnerException?.Message}".TrimEnd(), file);
        }
    }

    /// <summary>Binds a section: the binder's InvalidOperationException names the key.</summary>
    internal static void Bind(Action bind)
    {
        try
        {
            bind();
        }
        catch (InvalidOperationException binding)
        {
            throw new InvalidConfigurationException(binding.Message, binding);
        }
    }
}
