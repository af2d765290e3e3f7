using GracefulUpgrade.TestSupport;

namespace GracefulUpgrade.EndToEndTests;

/// <summary>Operator actions inside a box: conffile edits and systemd drop-ins.</summary>
public static class BoxConfig
{
    public const string Conffile = "/etc/graceful-upgrade-example/config.json";

    /// <summary>Replaces the value of one "Key": value pair of the conffile, as an operator's editor would.</summary>
    public static async Task SetAsync(SystemdBox box, string key, string value)
    {
        var result = await box.ShAsync($"sed -i -E 's/(\"{key}\": *)[^,}}]+/\\1{value}/' {Conffile} && grep -E '\"{key}\": *{value}' {Conffile}");
        result.EnsureSuccess($"set {key} to {value} in the conffile");
    }

    /// <summary>
    /// A drop-in for one instance that makes the test-only faulty build misbehave
    /// (GUE_TEST_FAULT, compiled only into that build).
    /// </summary>
    public static async Task AddFaultDropInAsync(SystemdBox box, string version, string fault, string extra = "")
    {
        var dir = $"/etc/systemd/system/{SystemdBox.Instance(version)}.d";
        (await box.ShAsync($"mkdir -p {dir} && printf '[Service]\\nEnvironment=GUE_TEST_FAULT={fault}\\n{extra}' > {dir}/test-fault.conf"))
            .EnsureSuccess("write drop-in");
    }
}
