namespace GracefulUpgrade.Harness;

/// <summary>
/// systemd's own journal entries about a unit, by MESSAGE_ID (systemd's message catalog,
/// `journalctl --list-catalog`): stable across versions and languages, unlike the text.
/// </summary>
public static class SystemdMessage
{
    public const string StartJobBegun = "7d4958e842da4a758f6c1cdc7b36dcc5";
    public const string StartJobFinished = "39f53479d3a045ac8e11786248231fbf";
    public const string StartJobFailed = "be02cf6855d2428ba40df7e9d022f03d";
    public const string StopJobBegun = "de5b426a63be47a7b6ac3eaac82e2f6f";
    public const string StopJobFinished = "9d1aaa27d60140bd96365438aad20286";
    public const string UnitSucceeded = "7ad2d189f7e94e70a38c781354912448";
    public const string UnitFailed = "d9b373ed55a64feb8242e02dbe79a49c";
}
