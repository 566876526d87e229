using Npgsql;
using PgDiscipline.Testing;

namespace PgDiscipline.IntegrationTests;

/// <summary>
/// The real local topology (<see cref="LocalCluster"/>: a primary, two streaming replicas and PgBouncer in transaction
/// mode) as an xunit fixture. Default backend: the cluster started by <c>build/test.sh</c> (env file
/// <c>artifacts/cluster/cluster.env</c>, or <c>PGD_ENV_FILE</c>). When the env file is absent, the fixture runs
/// <c>build/cluster.sh start</c> itself (so a plain <c>dotnet test</c> works) and stops that cluster when the tests end.
/// With <c>PGD_REQUIRE_CLUSTER=1</c> a missing cluster is an error instead.
/// </summary>
public sealed class ClusterFixture : LocalCluster, IAsyncLifetime
{
    private bool _startedHere;

    public static string RepoRoot => RepoPaths.RepoRoot;

    public async Task InitializeAsync()
    {
        var backend = Environment.GetEnvironmentVariable("PGD_BACKEND") ?? "local";
        if (!backend.Equals("local", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException(
                $"PGD_BACKEND={backend}: only the 'local' backend (build/cluster.sh) is implemented; see docs/testing.md.");
        }

        var envFile = DefaultEnvFile;
        if (!File.Exists(envFile))
        {
            if (Environment.GetEnvironmentVariable("PGD_REQUIRE_CLUSTER") == "1")
            {
                throw new InvalidOperationException(
                    $"PGD_REQUIRE_CLUSTER=1 but the cluster env file {envFile} does not exist; start it with build/cluster.sh start.");
            }

            await ClusterScriptAsync("start").ConfigureAwait(false);
            _startedHere = true;
            envFile = Path.Combine(RepoRoot, "artifacts", "cluster", "cluster.env");
        }

        Use(ParseEnvFile(await File.ReadAllTextAsync(envFile).ConfigureAwait(false)));
        _ = (Primary, Replicas, PgBouncer, PgBouncerSingle); // every key is there, or a clear error now

        // Fail fast with a clear message rather than in every test.
        await using var conn = new NpgsqlConnection(Primary);
        try
        {
            await conn.OpenAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or System.Net.Sockets.SocketException)
        {
            throw new InvalidOperationException($"The cluster in {envFile} is not reachable; is it running (build/cluster.sh status)?", ex);
        }
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_startedHere)
        {
            await ClusterScriptAsync("stop").ConfigureAwait(false);
        }
    }

    private static Task<string> ClusterScriptAsync(string verb)
        => ProcessRunner.RunCheckedAsync("bash", Path.Combine(RepoRoot, "build", "cluster.sh"), verb);
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}
