using System.Text;
using GracefulUpgrade.TestSupport;

namespace GracefulUpgrade.EndToEndTests;

/// <summary>
/// Test hooks (GUE_TEST_FAULT, Hosting/TestFaults.cs) are compiled only into the test build
/// (ops/publish.sh --test-faults): the binary of a release package must not carry them. The
/// test build is checked too, so that the markers looked for are known to be the right ones.
/// </summary>
[Collection(PackagesCollection.Name)]
public sealed class ReleaseBinaryTests(Packages packages)
{
    private const string BinaryInPackage = "usr/lib/graceful-upgrade-example/graceful-upgrade-example";

    // The variable's name as the code's string literal (UTF-16 in a .NET binary), and the
    // class's name as the native binary's type metadata keeps it.
    private static readonly byte[][] Markers = [Encoding.Unicode.GetBytes("GUE_TEST_FAULT"), Encoding.UTF8.GetBytes("TestFaults")];

    [Fact]
    public async Task ReleasePackageBinaryHasNoTestFaultHook()
    {
        var binary = await BinaryOfAsync(packages[Artifacts.V1]);

        Assert.All(Markers, marker => Assert.Equal(-1, binary.AsSpan().IndexOf(marker)));
    }

    [Fact]
    public async Task TestBuildBinaryHasTheTestFaultHook()
    {
        var binary = await BinaryOfAsync(packages[Artifacts.Faulty]);

        Assert.All(Markers, marker => Assert.NotEqual(-1, binary.AsSpan().IndexOf(marker)));
    }

    private static async Task<byte[]> BinaryOfAsync(string deb)
    {
        var dir = Directory.CreateTempSubdirectory("gue-deb-");
        try
        {
            (await Cli.RunAsync("dpkg-deb", ["-x", deb, dir.FullName], TimeSpan.FromMinutes(1))).EnsureSuccess($"dpkg-deb -x {deb}");
            return await File.ReadAllBytesAsync(Path.Combine(dir.FullName, BinaryInPackage));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
