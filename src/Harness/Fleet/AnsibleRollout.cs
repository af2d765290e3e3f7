using System.Globalization;
using System.Text.RegularExpressions;

namespace GracefulUpgrade.Harness;

/// <summary>
/// ops/ansible/rollout.yml run as an operator runs it:
/// <c>ansible-playbook -i INVENTORY ops/ansible/rollout.yml -e version=X</c>, with its output
/// and its PLAY RECAP (per host: ok, changed, unreachable, failed).
/// </summary>
public static partial class AnsibleRollout
{
    /// <summary>A canary, 50% and 100% batches, a dpkg handover and a health gate each: minutes, not hours.</summary>
    public static readonly TimeSpan Deadline = TimeSpan.FromMinutes(8);

    public sealed record HostRecap(int Ok, int Changed, int Unreachable, int Failed);

    public sealed record Result(string Version, int ExitCode, string Output, IReadOnlyDictionary<string, HostRecap> Recap,
        TimeSpan Started, TimeSpan Finished)
    {
        public TimeSpan WallTime => Finished - Started;

        public bool Succeeded => ExitCode == 0 && Recap.Count > 0 && Recap.Values.All(h => h.Failed == 0 && h.Unreachable == 0);

        public int Changed => Recap.Values.Sum(h => h.Changed);

        public override string ToString() =>
            $"rollout of {Version}: exit {ExitCode} in {WallTime.TotalSeconds:F1} s; " +
            string.Join(", ", Recap.Select(kv => $"{kv.Key} ok={kv.Value.Ok} changed={kv.Value.Changed} failed={kv.Value.Failed} unreachable={kv.Value.Unreachable}"));
    }

    public static async Task<Result> RunAsync(string inventory, string version, RunClock clock, IReadOnlyDictionary<string, string>? extraVars = null,
        CancellationToken cancel = default)
    {
        var args = new List<string> { "-i", inventory, Repo.Ops("ansible/rollout.yml"), "-e", $"version={version}" };
        foreach (var (key, value) in extraVars ?? new Dictionary<string, string>())
        {
            args.AddRange(["-e", $"{key}={value}"]);
        }
        var started = clock.Now;
        var result = await Cli.RunAsync("ansible-playbook", args, Deadline, Environment, cancel: cancel);
        var finished = clock.Now;
        return new Result(version, result.ExitCode, result.Output + result.Error, ParseRecap(result.Output), started, finished);
    }

    /// <summary>"h1 : ok=7 changed=2 unreachable=0 failed=0 skipped=1 rescued=0 ignored=0" per host.</summary>
    public static IReadOnlyDictionary<string, HostRecap> ParseRecap(string output)
    {
        var recap = new Dictionary<string, HostRecap>();
        var at = output.LastIndexOf("PLAY RECAP", StringComparison.Ordinal);
        if (at < 0)
        {
            return recap;
        }
        foreach (Match line in RecapLine().Matches(output[at..]))
        {
            int N(string group) => int.Parse(line.Groups[group].Value, CultureInfo.InvariantCulture);
            recap[line.Groups["host"].Value] = new HostRecap(N("ok"), N("changed"), N("unreachable"), N("failed"));
        }
        return recap;
    }

    // The playbook's own settings (forks, pipelining, YAML results), as its header says to
    // run it; no colours in the captured output.
    private static readonly Dictionary<string, string> Environment = new()
    {
        ["ANSIBLE_CONFIG"] = Repo.Ops("ansible/ansible.cfg"),
        ["ANSIBLE_NOCOLOR"] = "1",
        ["ANSIBLE_FORCE_COLOR"] = "0",
    };

    [GeneratedRegex(@"^(?<host>\S+)\s+:\s+ok=(?<ok>\d+)\s+changed=(?<changed>\d+)\s+unreachable=(?<unreachable>\d+)\s+failed=(?<failed>\d+)", RegexOptions.Multiline)]
    private static partial Regex RecapLine();
}
