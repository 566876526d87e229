using System.Runtime.CompilerServices;

namespace PgDiscipline.Testing;

/// <summary>
/// Container tests reach published ports on 127.0.0.1 only. Testcontainers takes the container network's gateway
/// instead when it finds /.dockerenv (it assumes a sibling engine), and this machine has that file while its engine is
/// local: unless the environment says otherwise, the host is loopback, for this process and the <c>dotnet test</c> runs it
/// starts (build/test.sh sets the same).
/// </summary>
internal static class LoopbackContainers
{
    public const string Variable = "TESTCONTAINERS_HOST_OVERRIDE";

    [ModuleInitializer]
    internal static void Initialize()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(Variable)))
        {
            Environment.SetEnvironmentVariable(Variable, "127.0.0.1");
        }
    }
}
