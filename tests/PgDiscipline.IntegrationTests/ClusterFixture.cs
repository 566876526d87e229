using System.Diagnostics;
using Npgsql;

namespace PgDiscipline.IntegrationTests;

/// <summary>
/// The real local topology: a primary, two streaming replicas and PgBouncer in transaction mode.
/// Default backend: the cluster started by <c>build/test.sh</c> (env file <c>artifacts/cluster/cluster.env</c>, or
/// <c>PGD_ENV_FILE</c>). When the env file is absent, the fixture runs <c>build/cluster.sh start</c> itself (so a plain
/// <c>dotnet test</c> works) and stops that cluster when the tests end. With <c>PGD_REQUIRE_CLUSTER=1</c> a missing
/// cluster is an error instead.
/// </summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    private bool _startedHere;

    /// <summary>Connection string of the primary.</summary>
    public string Primary { get; private set; } = "";

    /// <summary>Connection strings of the replicas (replica1, replica2).</summary>
    public IReadOnlyList<string> Replicas { get; private set; } = [];

    /// <summary>PgBouncer (pool_mode=transaction) in front of the primary.</summary>
    public string PgBouncer { get; private set; } = "";

    /// <summary>PgBouncer database alias whose pool has exactly one server connection.</summary>
    public string PgBouncerSingle { get; private set; } = "";

    /// <summary>All values of the env file.</summary>
    public IReadOnlyDictionary<string, string> Env { get; private set; } = new Dictionary<string, string>();

    public static string RepoRoot { get; } = FindRepoRoot();

    public async Task InitializeAsync()
    {
        var backend = Environment.GetEnvironmentVariable("PGD_BACKEND") ?? "local";
        if (!backend.Equals("local", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException(
                $"PGD_BACKEND={backend}: only the 'local' backend (build/cluster.sh) is implemented; see docs/testing.md.");
        }

        var envFile = Environment.GetEnvironmentVariable("PGD_ENV_FILE") is { Length: > 0 } f
            ? f
            : Path.Combine(RepoRoot, "artifacts", "cluster", "cluster.env");

        if (!File.Exists(envFile))
        {
            if (Environment.GetEnvironmentVariable("PGD_REQUIRE_CLUSTER") == "1")
            {
                throw new InvalidOperationException(
                    $"PGD_REQUIRE_CLUSTER=1 but the cluster env file {envFile} does not exist; start it with build/cluster.sh start.");
            }

            await RunScriptAsync("start").ConfigureAwait(false);
            _startedHere = true;
            envFile = Path.Combine(RepoRoot, "artifacts", "cluster", "cluster.env");
        }

        Env = ParseEnvFile(await File.ReadAllTextAsync(envFile).ConfigureAwait(false));
        Primary = Required("PGD_PRIMARY");
        Replicas = [Required("PGD_REPLICA1"), Required("PGD_REPLICA2")];
        PgBouncer = Required("PGD_PGBOUNCER");
        PgBouncerSingle = Required("PGD_PGBOUNCER_SINGLE");

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
            await RunScriptAsync("stop").ConfigureAwait(false);
        }
    }

    /// <summary>Parses the KEY='value' lines that build/cluster.sh writes.</summary>
    public static Dictionary<string, string> ParseEnvFile(string text)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                continue;
            }

            var value = line[(eq + 1)..];
            if (value.Length >= 2 && value[0] == '\'' && value[^1] == '\'')
            {
                value = value[1..^1];
            }

            values[line[..eq]] = value;
        }

        return values;
    }

    /// <summary>Runs a PostgreSQL server binary (pg_ctl, …) as the cluster's OS user, e.g. to stop a replica.</summary>
    public async Task<string> RunPgBinaryAsync(string binary, params string[] args)
    {
        var path = Path.Combine(Env["PGD_PG_BIN"], binary);
        var runAs = Env.GetValueOrDefault("PGD_RUN_AS", "");
        var psi = runAs.Length > 0 ? new ProcessStartInfo("runuser", ["-u", runAs, "--", path, .. args]) : new ProcessStartInfo(path, args);
        return await RunAsync(psi).ConfigureAwait(false);
    }

    /// <summary>Port of the primary, replica1, replica2.</summary>
    public int PrimaryPort => int.Parse(Env["PGD_PRIMARY_PORT"], System.Globalization.CultureInfo.InvariantCulture);

    public IReadOnlyList<int> ReplicaPorts =>
        [int.Parse(Env["PGD_REPLICA1_PORT"], System.Globalization.CultureInfo.InvariantCulture), int.Parse(Env["PGD_REPLICA2_PORT"], System.Globalization.CultureInfo.InvariantCulture)];

    /// <summary>The replicas' default names in PgDiscipline (host:port), in configuration order.</summary>
    public IReadOnlyList<string> ReplicaNames() => Replicas.Select(r => new NpgsqlConnectionStringBuilder(r) is var b ? $"{b.Host}:{b.Port}" : "").ToArray();

    /// <summary>Runs one statement and returns the first column of the first row.</summary>
    public static async Task<object?> ScalarAsync(string connectionString, string sql)
    {
        await using var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        return await cmd.ExecuteScalarAsync();
    }

    /// <summary>Pauses WAL replay on a replica and waits until it has really paused (pg_wal_replay_pause only requests it).</summary>
    public static async Task PauseReplayAsync(string replica)
    {
        await ScalarAsync(replica, "select pg_wal_replay_pause()");
        for (var i = 0; i < 100; i++)
        {
            if ((string?)await ScalarAsync(replica, "select pg_get_wal_replay_pause_state()") == "paused")
            {
                return;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException("WAL replay did not pause within 5 s");
    }

    /// <summary>Stops a server immediately (like a crash): <c>primary</c>, <c>replica1</c> or <c>replica2</c>.</summary>
    public Task StopServerAsync(string name) =>
        RunPgBinaryAsync("pg_ctl", "-D", Env[$"PGD_{name.ToUpperInvariant()}_DATA"], "stop", "-m", "immediate", "-w", "-t", "30");

    /// <summary>Starts a server stopped by <see cref="StopServerAsync"/> and waits until it accepts connections.</summary>
    public async Task StartServerAsync(string name)
    {
        var key = name.ToUpperInvariant();
        await RunPgBinaryAsync("pg_ctl", "-D", Env[$"PGD_{key}_DATA"], "-l", Path.Combine(Env["PGD_CLUSTER_DIR"], name + ".log"),
            "-o", "-p " + Env[$"PGD_{key}_PORT"], "-w", "-t", "60", "start");

        // Idle pooled connections to the restarted server are dead, and Npgsql only finds out on first use:
        // later tests must not inherit that from a fault test.
        NpgsqlConnection.ClearAllPools();
    }

    /// <summary>Waits until the primary sees both replicas streaming (after a fault test).</summary>
    public async Task WaitForStreamingAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                if ((long)(await ScalarAsync(Primary, "select count(*) from pg_stat_replication where state = 'streaming'"))! == 2)
                {
                    return;
                }
            }
            catch (NpgsqlException) when (DateTime.UtcNow < deadline)
            {
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("replicas did not resume streaming");
            }

            await Task.Delay(200);
        }
    }

    private string Required(string key) =>
        Env.TryGetValue(key, out var v) && v.Length > 0 ? v : throw new InvalidOperationException($"cluster env file lacks {key}");

    private static async Task RunScriptAsync(string verb)
    {
        var psi = new ProcessStartInfo("bash", [Path.Combine(RepoRoot, "build", "cluster.sh"), verb]);
        await RunAsync(psi).ConfigureAwait(false);
    }

    private static async Task<string> RunAsync(ProcessStartInfo psi)
    {
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.UseShellExecute = false;
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {psi.FileName}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"{psi.FileName} {string.Join(' ', psi.ArgumentList)} exited with {process.ExitCode}: {await stderr.ConfigureAwait(false)}");
        }

        return await stdout.ConfigureAwait(false);
    }

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "PgDiscipline.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("PgDiscipline.sln not found above " + AppContext.BaseDirectory);
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}
