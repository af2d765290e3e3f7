namespace GracefulUpgrade.Service.Lifetime;

/// <summary>
/// How the main process answers a reload request to the unit's ExecReload= script
/// (/usr/lib/graceful-upgrade-example/reload), which waits for this file before it returns:
/// one line, "ready PID" or "failed CAUSE". The file lives in the unit's PrivateTmp, which
/// every process of the unit shares and nothing outside it sees; its name carries the pid the
/// request was sent to, so an answer of an earlier main process is never mistaken for this one.
/// </summary>
public static class ReloadResultFile
{
    public static string PathFor(int mainPid) => System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"graceful-upgrade-example-reload.{mainPid}");

    public static string Ready(int successorPid) => $"ready {successorPid}";

    public static string Failed(string cause) => "failed " + cause.ReplaceLineEndings(" ");

    /// <summary>Written whole and renamed into place: the script never reads half a line.</summary>
    public static void Write(int mainPid, string line)
    {
        var path = PathFor(mainPid);
        var partial = path + ".partial";
        File.WriteAllText(partial, line + "\n");
        File.Move(partial, path, overwrite: true);
    }
}
