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
        if (backend.Equals("testcontainers", StringComparison.OrdinalIgnoreCase))
        {
            await StartContainersAsync().ConfigureAwait(false);
            return;
        }

        if (!backend.Equals("local", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException(
                $"PGD_BACKEND={backend}: the backends are 'local' (build/cluster.sh, the default) and 'testcontainers' (PgDiscipline.Testing); see docs/testing.md.");
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

    /// <summary>The Testcontainers backend: the same topology from PgDiscipline.Testing (same database, login and env keys
    /// as build/cluster.sh). Each server listens on 5432 inside its container and Docker maps it to a random port, so
    /// <c>inet_server_port()</c> cannot tell the servers apart: each server gets the setting
    /// <c>pgdiscipline.server_port</c> = its mapped port (written through the container, as a user could), which the
    /// tests' "where did this run" query reads before <c>inet_server_port()</c>. Faults act on the containers. What only
    /// the local backend has (data directories, <c>build/cluster.sh add-replica</c>, the HA topology) is not offered.</summary>
    private async Task StartContainersAsync()
    {
        _containers = new PgClusterBuilder().WithReplicas(2).WithPgBouncer()
            .WithDatabase("pgdiscipline").WithUsername("pgdiscipline").WithPassword("pgdiscipline").Build();
        await _containers.StartAsync().ConfigureAwait(false);
        foreach (var node in _containers.Replicas.Prepend(_containers.Primary))
        {
            var port = node.Container.GetMappedPublicPort(5432).ToString(System.Globalization.CultureInfo.InvariantCulture);
            var result = await node.Container.ExecAsync(["bash", "-c",
                $"echo \"pgdiscipline.server_port = '{port}'\" >> \"$PGDATA/postgresql.auto.conf\" && pg_ctl reload -D \"$PGDATA\" >/dev/null"]).ConfigureAwait(false);
            if (result.ExitCode != 0)
            {
                throw new InvalidOperationException($"{node.Name}: could not set pgdiscipline.server_port: {result.Stderr}");
            }
        }

        static string Port(string connectionString) => new NpgsqlConnectionStringBuilder(connectionString).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Use(new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PGD_BACKEND"] = "testcontainers",
            ["PGD_PRIMARY"] = _containers.PrimaryConnectionString,
            ["PGD_REPLICA1"] = _containers.ReplicaConnectionStrings[0],
            ["PGD_REPLICA2"] = _containers.ReplicaConnectionStrings[1],
            ["PGD_PGBOUNCER"] = _containers.PgBouncerConnectionString!,
            ["PGD_PGBOUNCER_SINGLE"] = _containers.PgBouncerSingleConnectionString!,
            ["PGD_PRIMARY_PORT"] = Port(_containers.PrimaryConnectionString),
            ["PGD_REPLICA1_PORT"] = Port(_containers.ReplicaConnectionStrings[0]),
            ["PGD_REPLICA2_PORT"] = Port(_containers.ReplicaConnectionStrings[1]),
            ["PGD_PGBOUNCER_PORT"] = Port(_containers.PgBouncerConnectionString!),
        });

        // A reload is asynchronous: wait until every server answers with its own port.
        foreach (var connectionString in _containers.ReplicaConnectionStrings.Prepend(_containers.PrimaryConnectionString))
        {
            await Eventually.UntilAsync(
                async () => (string?)await ScalarAsync(connectionString, "select current_setting('pgdiscipline.server_port', true)").ConfigureAwait(false) == Port(connectionString),
                $"the server on mapped port {Port(connectionString)} to load pgdiscipline.server_port").ConfigureAwait(false);
        }
    }

    private PgCluster? _containers;

    public override Task StopServerAsync(string name) => _containers is null ? base.StopServerAsync(name) : name switch
    {
        "primary" => _containers.StopPrimaryAsync(),
        "replica1" => _containers.StopReplicaAsync(0),
        "replica2" => _containers.StopReplicaAsync(1),
        _ => throw new ArgumentException($"no server '{name}' on the testcontainers backend", nameof(name)),
    };

    public override async Task StartServerAsync(string name)
    {
        if (_containers is null)
        {
            await base.StartServerAsync(name).ConfigureAwait(false);
            return;
        }

        await (name switch
        {
            "primary" => _containers.StartPrimaryAsync(),
            "replica1" => _containers.StartReplicaAsync(0),
            "replica2" => _containers.StartReplicaAsync(1),
            _ => throw new ArgumentException($"no server '{name}' on the testcontainers backend", nameof(name)),
        }).ConfigureAwait(false);
        NpgsqlConnection.ClearAllPools();
    }

    public override Task KillPgBouncerAsync() => _containers is null ? base.KillPgBouncerAsync() : _containers.StopPgBouncerAsync();

    public override Task StartPgBouncerAsync() => _containers is null ? base.StartPgBouncerAsync() : _containers.StartPgBouncerAsync();

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_containers is not null)
        {
            await _containers.DisposeAsync().ConfigureAwait(false);
        }

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
