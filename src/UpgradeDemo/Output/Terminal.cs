using System.Text.RegularExpressions;

namespace GracefulUpgrade.UpgradeDemo.Output;

/// <summary>What stdout is: a terminal to redraw and colour, or a log (CI, a pipe) to append to.</summary>
internal sealed partial class Terminal(string oldVersion, string newVersion)
{
    public bool Interactive { get; } = !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("TERM") is not (null or "dumb");

    private bool Colour => Interactive && Environment.GetEnvironmentVariable("NO_COLOR") is null or "";

    public int Width
    {
        get
        {
            try
            {
                return Interactive && Console.WindowWidth > 20 ? Console.WindowWidth : 120;
            }
            catch (IOException)
            {
                return 120;
            }
        }
    }

    /// <summary>The old version in blue, the new one in orange: the chart's colours.</summary>
    public string Version(string version) =>
        version == oldVersion ? Paint(version, "38;5;67") : version == newVersion ? Paint(version, "38;5;208") : version;

    public string Good(string text) => Paint(text, "1;32");

    public string Bad(string text) => Paint(text, "1;31");

    public string Dim(string text) => Paint(text, "2");

    public string Bold(string text) => Paint(text, "1");

    private string Paint(string text, string sgr) => Colour ? $"\e[{sgr}m{text}\e[0m" : text;

    /// <summary>Characters a line takes on screen: its text without colour codes.</summary>
    public static int VisibleLength(string text) => Sgr().Replace(text, "").Length;

    [GeneratedRegex(@"\e\[[0-9;]*m")]
    private static partial Regex Sgr();
}
