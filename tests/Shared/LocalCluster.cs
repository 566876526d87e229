using System.Diagnostics;
using Npgsql;

namespace PgDiscipline.Testing;

/// <summary>
/// The local cluster that <c>build/cluster.sh start</c> runs — a primary, two streaming replicas and PgBouncer in
/// transaction mode — read from its env file, and the faults tests and the fault suite do to it (stop a server like a
/// crash, pause replay, kill PgBouncer). No test framework here: the integration tests' <c>ClusterFixture</c>, the
/// sample's tests and the Workload runner (build/faults.sh, build/bench.sh mix) all use it, linked as source.
/// </summary>
public class LocalCluster
{
    private IReadOnlyDictionary<string, string> _env = new Dictionary<string, string>();

    /// <summary>The env file <c>build/cluster.sh start</c> writes: <c>PGD_ENV_FILE</c>, else
    /// <c>artifacts/cluster/cluster.env</c> under the repository root.</summary>
    public static string DefaultEnvFile =>
        Environment.GetEnvironmentVariable("PGD_ENV_FILE") is { Length: > 0 } f ? f : Path.Combine(RepoPaths.RepoRoot, "artifacts", "cluster", "cluster.env");

    /// <summary>All values of the env file.</summary>
    public IReadOnlyDictionary<string, string> Env => _env;

    /// <summary>Connection string of the primary.</summary>
    public string Primary => Required("PGD_PRIMARY");

    /// <summary>Connection strings of the replicas (replica1, replica2).</summary>
    public IReadOnlyList<string> Replicas => [Required("PGD_REPLICA1"), Required("PGD_REPLICA2")];

    /// <summary>PgBouncer (pool_mode=transaction) in front of the primary.</summary>
    public string PgBouncer => Required("PGD_PGBOUNCER");

    /// <summary>PgBouncer database alias whose pool has exactly one server connection.</summary>
    public string PgBouncerSingle => Required("PGD_PGBOUNCER_SINGLE");

    /// <summary>Each replica's own PgBouncer (transaction mode, a small server pool), in replica order, when the cluster
    /// was started with <c>--replica-bouncers</c>; empty otherwise.</summary>
    public IReadOnlyList<string> ReplicaPgBouncers =>
        _env.ContainsKey("PGD_REPLICA1_PGBOUNCER") ? [Required("PGD_REPLICA1_PGBOUNCER"), Required("PGD_REPLICA2_PGBOUNCER")] : [];

    /// <summary>Ports of the replicas' PgBouncers (empty without <c>--replica-bouncers</c>).</summary>
    public IReadOnlyList<int> ReplicaPgBouncerPorts =>
        _env.ContainsKey("PGD_REPLICA1_PGBOUNCER_PORT") ? [Port("PGD_REPLICA1_PGBOUNCER_PORT"), Port("PGD_REPLICA2_PGBOUNCER_PORT")] : [];

    /// <summary>Server connections each replica's PgBouncer may open (0 without <c>--replica-bouncers</c>).</summary>
    public int ReplicaPgBouncerPoolSize => _env.ContainsKey("PGD_REPLICA_PGBOUNCER_POOL_SIZE") ? Port("PGD_REPLICA_PGBOUNCER_POOL_SIZE") : 0;

    /// <summary>pgpool-II in front of the cluster, when <c>build/pgpool.sh</c> started it.</summary>
    public string? PgPool => _env.GetValueOrDefault("PGD_PGPOOL");

    /// <summary>Port of the primary.</summary>
    public int PrimaryPort => Port("PGD_PRIMARY_PORT");

    /// <summary>Ports of replica1, replica2.</summary>
    public IReadOnlyList<int> ReplicaPorts => [Port("PGD_REPLICA1_PORT"), Port("PGD_REPLICA2_PORT")];

    /// <summary>The replicas' default names in PgDiscipline (host:port), in configuration order.</summary>
    public IReadOnlyList<string> ReplicaNames() => Replicas.Select(r => new NpgsqlConnectionStringBuilder(r) is var b ? $"{b.Host}:{b.Port}" : "").ToArray();

    /// <summary>Reads an env file written by <c>build/cluster.sh start</c>.</summary>
    public static LocalCluster Load(string envFile)
    {
        var cluster = new LocalCluster { EnvFile = envFile };
        cluster.Use(ParseEnvFile(File.ReadAllText(envFile)));
        return cluster;
    }

    /// <summary>Takes the values of an env file (for subclasses that find the file themselves).</summary>
    protected void Use(IReadOnlyDictionary<string, string> env) => _env = env;

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

    /// <summary>Runs one statement on its own unpooled connection and returns the first column of the first row.</summary>
    public static async Task<object?> ScalarAsync(string connectionString, string sql)
    {
        await using var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await conn.OpenAsync().ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand(sql, conn);
        return await cmd.ExecuteScalarAsync().ConfigureAwait(false);
    }

    /// <summary>Pauses WAL replay on a replica and waits until it has really paused (pg_wal_replay_pause only requests it).</summary>
    public static async Task PauseReplayAsync(string replica)
    {
        await ScalarAsync(replica, "select pg_wal_replay_pause()").ConfigureAwait(false);
        await Eventually.UntilAsync(async () => (string?)await ScalarAsync(replica, "select pg_get_wal_replay_pause_state()").ConfigureAwait(false) == "paused",
            "WAL replay to pause", poll: TimeSpan.FromMilliseconds(50)).ConfigureAwait(false);
    }

    /// <summary>Resumes WAL replay on a replica.</summary>
    public static Task ResumeReplayAsync(string replica) => ScalarAsync(replica, "select pg_wal_replay_resume()");

    /// <summary>Waits until a replica has replayed <paramref name="position"/> (an LSN in text form).</summary>
    public static async Task WaitReplayedAsync(string replica, string position, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (!(bool)(await ScalarAsync(replica, $"select pg_last_wal_replay_lsn() >= '{position}'::pg_lsn").ConfigureAwait(false))!)
        {
            if (sw.Elapsed > timeout)
            {
                throw new TimeoutException($"replica did not replay {position} within {timeout.TotalSeconds:0.#} s");
            }

            await Task.Delay(20).ConfigureAwait(false);
        }
    }

    /// <summary>Commits a transaction on the primary and waits until both replicas have replayed it. A replica restarted
    /// on a quiet primary reports a receive position below its replay position until new WAL arrives, and a runtime that
    /// has not seen its primary yet then takes it for behind by the age of its last commit (reported with issue 31).</summary>
    public async Task ReplicasReplayedACommitAsync()
    {
        await ScalarAsync(Primary, "select txid_current()").ConfigureAwait(false); // an xid, so a commit record
        var position = (string)(await ScalarAsync(Primary, "select pg_current_wal_lsn()::text").ConfigureAwait(false))!;
        foreach (var replica in Replicas)
        {
            await WaitReplayedAsync(replica, position, Eventually.DefaultTimeout).ConfigureAwait(false);
        }
    }

    /// <summary>Stops a server immediately (like a crash): <c>primary</c>, <c>replica1</c> or <c>replica2</c>.</summary>
    public virtual Task StopServerAsync(string name) =>
        RunPgBinaryAsync("pg_ctl", "-D", Env[$"PGD_{name.ToUpperInvariant()}_DATA"], "stop", "-m", "immediate", "-w", "-t", "30");

    /// <summary>Starts a server stopped by <see cref="StopServerAsync"/> and waits until it accepts connections. Idle pooled
    /// connections to it are dead, and Npgsql only finds out on first use: the pools are cleared.</summary>
    public virtual async Task StartServerAsync(string name)
    {
        var key = name.ToUpperInvariant();
        await RunPgBinaryAsync("pg_ctl", "-D", Env[$"PGD_{key}_DATA"], "-l", Path.Combine(Env["PGD_CLUSTER_DIR"], name + ".log"),
            "-o", "-p " + Env[$"PGD_{key}_PORT"], "-w", "-t", "60", "start").ConfigureAwait(false);
        NpgsqlConnection.ClearAllPools();
    }

    /// <summary>Freezes a server (SIGSTOP to the postmaster, then to every process it forked): it accepts TCP connections
    /// (the kernel does) and never answers — a hung host, a partition. <see cref="ThawServerAsync"/> resumes it.</summary>
    public virtual async Task FreezeServerAsync(string name)
    {
        var postmaster = await PostmasterPidAsync(name).ConfigureAwait(false);
        Signal(postmaster, "STOP");
        foreach (var child in await ChildrenAsync(postmaster).ConfigureAwait(false))
        {
            Signal(child, "STOP");
        }
    }

    /// <summary>Resumes a server frozen by <see cref="FreezeServerAsync"/>.</summary>
    public virtual async Task ThawServerAsync(string name)
    {
        var postmaster = await PostmasterPidAsync(name).ConfigureAwait(false);
        foreach (var child in await ChildrenAsync(postmaster).ConfigureAwait(false))
        {
            Signal(child, "CONT");
        }

        Signal(postmaster, "CONT");
    }

    private async Task<int> PostmasterPidAsync(string name)
    {
        var pidFile = Path.Combine(Env[$"PGD_{name.ToUpperInvariant()}_DATA"], "postmaster.pid");
        var first = (await File.ReadAllLinesAsync(pidFile).ConfigureAwait(false))[0];
        return int.Parse(first.Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task<int[]> ChildrenAsync(int pid)
    {
        var (_, output) = await ProcessRunner.RunAsync("pgrep", ["-P", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]).ConfigureAwait(false);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(l => int.Parse(l, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
    }

    private static void Signal(int pid, string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-" + signal, pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        kill.WaitForExit();
    }

    /// <summary>Kills PgBouncer (SIGKILL, like a crash).</summary>
    public virtual async Task KillPgBouncerAsync()
    {
        var pidFile = Path.Combine(Env["PGD_CLUSTER_DIR"], "pgbouncer", "pgbouncer.pid");
        var pid = int.Parse((await File.ReadAllTextAsync(pidFile).ConfigureAwait(false)).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        using var process = Process.GetProcessById(pid);
        process.Kill();
        await process.WaitForExitAsync().ConfigureAwait(false);
    }

    /// <summary>Starts PgBouncer again with the cluster's configuration.</summary>
    public virtual Task StartPgBouncerAsync()
        => RunAsClusterUserAsync(File.Exists("/usr/sbin/pgbouncer") ? "/usr/sbin/pgbouncer" : "pgbouncer", "-d", "-q", Env["PGD_PGBOUNCER_INI"]);

    /// <summary>Waits until the primary sees both replicas streaming (after a fault; replicas added by a test count too).</summary>
    public async Task WaitForStreamingAsync(TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if ((long)(await ScalarAsync(Primary, "select count(*) from pg_stat_replication where state = 'streaming'").ConfigureAwait(false))! >= 2)
                {
                    return;
                }
            }
            catch (NpgsqlException) when (sw.Elapsed < timeout)
            {
            }

            if (sw.Elapsed > timeout)
            {
                throw new TimeoutException("the replicas did not resume streaming");
            }

            await Task.Delay(200).ConfigureAwait(false);
        }
    }

    /// <summary>Adds a streaming replica to the running cluster (<c>build/cluster.sh add-replica</c>, e.g. <c>replica3</c>);
    /// returns its connection string. Remove it with <see cref="RemoveReplicaAsync"/>.</summary>
    public static async Task<string> AddReplicaAsync(string name)
    {
        var output = await ProcessRunner.RunCheckedAsync("bash", Path.Combine(RepoPaths.RepoRoot, "build", "cluster.sh"), "add-replica", name).ConfigureAwait(false);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Last(l => l.StartsWith("Host=", StringComparison.Ordinal));
    }

    /// <summary>Stops and removes a replica added with <see cref="AddReplicaAsync"/>.</summary>
    public static Task RemoveReplicaAsync(string name)
        => ProcessRunner.RunCheckedAsync("bash", Path.Combine(RepoPaths.RepoRoot, "build", "cluster.sh"), "remove-replica", name);

    /// <summary>The env file this cluster was read from (<see cref="Load"/>), for scripts that act on this cluster.</summary>
    public string? EnvFile { get; private set; }

    /// <summary>Runs <c>build/cluster.sh VERB</c> on this cluster (its directory and env file), then reads the env file
    /// again (a failover changes which server is the primary).</summary>
    public async Task<string> ClusterCommandAsync(params string[] verb)
    {
        var env = new Dictionary<string, string>
        {
            ["PGD_CLUSTER_DIR"] = Env["PGD_CLUSTER_DIR"],
            ["PGD_ENV_FILE"] = EnvFile ?? DefaultEnvFile,
        };
        var (code, output) = await ProcessRunner.RunAsync("bash", [Path.Combine(RepoPaths.RepoRoot, "build", "cluster.sh"), .. verb], env: env).ConfigureAwait(false);
        if (code != 0)
        {
            throw new InvalidOperationException($"build/cluster.sh {string.Join(' ', verb)} exited with {code}: {output}");
        }

        Use(ParseEnvFile(await File.ReadAllTextAsync(EnvFile ?? DefaultEnvFile).ConfigureAwait(false)));
        return output;
    }

    /// <summary>Starts a cluster with <c>build/cluster.sh start ARGS</c> in <paramref name="clusterDir"/>, writing
    /// <paramref name="envFile"/> (a fresh one: any cluster there is stopped first).</summary>
    public static async Task<LocalCluster> StartFreshAsync(string clusterDir, string envFile, params string[] args)
    {
        var env = new Dictionary<string, string> { ["PGD_CLUSTER_DIR"] = clusterDir, ["PGD_ENV_FILE"] = envFile };
        var script = Path.Combine(RepoPaths.RepoRoot, "build", "cluster.sh");
        await ProcessRunner.RunAsync("bash", [script, "stop"], env: env).ConfigureAwait(false);
        var (code, output) = await ProcessRunner.RunAsync("bash", [script, "start", .. args], env: env).ConfigureAwait(false);
        if (code != 0)
        {
            throw new InvalidOperationException($"build/cluster.sh start {string.Join(' ', args)} exited with {code}: {output}");
        }

        var cluster = Load(envFile);
        return cluster;
    }

    /// <summary>Stops a cluster started by <see cref="StartFreshAsync"/>.</summary>
    public static Task StopAsync(string clusterDir, string envFile)
        => ProcessRunner.RunAsync("bash", [Path.Combine(RepoPaths.RepoRoot, "build", "cluster.sh"), "stop"],
            env: new Dictionary<string, string> { ["PGD_CLUSTER_DIR"] = clusterDir, ["PGD_ENV_FILE"] = envFile });

    /// <summary>Runs a PostgreSQL server binary (pg_ctl, …) as the cluster's OS user.</summary>
    public Task<string> RunPgBinaryAsync(string binary, params string[] args) => RunAsClusterUserAsync(Path.Combine(Env["PGD_PG_BIN"], binary), args);

    private Task<string> RunAsClusterUserAsync(string file, params string[] args)
    {
        var runAs = Env.GetValueOrDefault("PGD_RUN_AS", "");
        return runAs.Length > 0 ? ProcessRunner.RunCheckedAsync("runuser", ["-u", runAs, "--", file, .. args]) : ProcessRunner.RunCheckedAsync(file, args);
    }

    private int Port(string key) => int.Parse(Required(key), System.Globalization.CultureInfo.InvariantCulture);

    private string Required(string key) =>
        _env.TryGetValue(key, out var v) && v.Length > 0 ? v : throw new InvalidOperationException($"cluster env file lacks {key}");
}
