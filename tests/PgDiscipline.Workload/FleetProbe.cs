using System.Globalization;
using Npgsql;
using PgDiscipline.Testing;

namespace PgDiscipline.Workload;

/// <summary>What the servers of the local cluster see of a simulated fleet: statement counts and execution time by kind
/// (pg_stat_statements), client connections by kind (pg_stat_activity), sessions opened (pg_stat_database.sessions),
/// CPU of each server's processes (/proc), and each replica PgBouncer's clients, server connections and queries (its
/// admin console). Probe connections are one pooled connection per server, so sampling opens no sessions.</summary>
internal sealed class FleetProbe
{
    public const string ProbeApp = "pgd-fleet-probe";
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private static readonly long ClockTicks = 100; // Linux USER_HZ (sysconf(_SC_CLK_TCK)) on every supported kernel

    private readonly LocalCluster _cluster;

    public FleetProbe(LocalCluster cluster)
    {
        _cluster = cluster;
        Servers =
        [
            new("primary", Probe(cluster.Primary), cluster.Env["PGD_PRIMARY_DATA"]),
            new("replica1", Probe(cluster.Replicas[0]), cluster.Env["PGD_REPLICA1_DATA"]),
            new("replica2", Probe(cluster.Replicas[1]), cluster.Env["PGD_REPLICA2_DATA"]),
        ];
        Bouncers = cluster.ReplicaPgBouncerPorts.Select((port, i) => new Bouncer($"pgbouncer-replica{i + 1}", port,
            Path.Combine(cluster.Env["PGD_CLUSTER_DIR"], $"pgbouncer-replica{i + 1}", "pgbouncer.pid"))).ToArray();
    }

    public sealed record Server(string Name, string ConnectionString, string DataDir);

    public sealed record Bouncer(string Name, int Port, string PidFile);

    public IReadOnlyList<Server> Servers { get; }

    public IReadOnlyList<Bouncer> Bouncers { get; }

    private static string Probe(string cs) => new NpgsqlConnectionStringBuilder(cs) { ApplicationName = ProbeApp, MaxPoolSize = 1, ConnectionIdleLifetime = 3600 }.ConnectionString;

    /// <summary>The kind of a statement as pg_stat_statements normalises it. Monitoring is everything the runtime runs for
    /// itself on a timer (health checks, the primary's position, rule reloads); the read/write path is counted apart.</summary>
    public static string StatementKind(string query)
    {
        var q = query.ToLowerInvariant();
        return q switch
        {
            _ when q.Contains("pg_stat_statements", StringComparison.Ordinal) || q.Contains("pg_stat_activity", StringComparison.Ordinal)
                || q.Contains("pg_stat_database", StringComparison.Ordinal) => "probe",
            _ when q.Contains("wl_items", StringComparison.Ordinal) => "app",
            _ when q.Contains("pg_is_in_recovery()", StringComparison.Ordinal) && q.Contains("pg_last_wal_replay_lsn", StringComparison.Ordinal) => "monitor: replica check",
            _ when q.Contains("pgdiscipline_timeline", StringComparison.Ordinal) => "guard: timeline check (on the app's connections)",
            _ when q.Contains("pgdiscipline_replay_position", StringComparison.Ordinal) => "read path: freshness probe",
            _ when q.Contains("pgdiscipline_session_position", StringComparison.Ordinal) || q.Contains("pg_current_wal_insert_lsn", StringComparison.Ordinal) => "write path: position capture",
            _ when q.Contains("pg_last_wal_replay_lsn", StringComparison.Ordinal) => "monitor: replay re-check",
            _ when q.Contains("pg_current_wal_flush_lsn", StringComparison.Ordinal) => "monitor: primary position",
            _ when q.Contains("received_tli", StringComparison.Ordinal) => "monitor: replica timeline",
            _ when q.StartsWith("listen", StringComparison.Ordinal) || q.Contains("pgdiscipline.", StringComparison.Ordinal)
                || q.Contains("pgdiscipline_rules", StringComparison.Ordinal) || (q.Contains("to_regclass", StringComparison.Ordinal) && q.Contains("pg_trigger", StringComparison.Ordinal)) => "monitor: rules",
            _ when q.Contains("set_config", StringComparison.Ordinal) => "read path: timeout set_config",
            _ => "other",
        };
    }

    public static bool IsMonitoring(string kind) => kind.StartsWith("monitor:", StringComparison.Ordinal);

    /// <summary>The kind of a client connection, by the application name each simulated instance gives its connections.
    /// On a replica a nameless connection is its PgBouncer's (the simulator clears its own nameless pools before it
    /// starts). On the primary the instance's pools are counted together: the runtime's primary readings borrow the
    /// app's pool, so "app" or "runtime" is not a property of a connection; the report compares the total with what
    /// the app needs.</summary>
    public static string ConnectionKind(string server, string application)
    {
        if (application == "pgdiscipline-rules")
        {
            return "rules LISTEN"; // the runtime names its LISTEN connection itself
        }

        if (server != "primary" && application.Length == 0)
        {
            return "fleet"; // a PgBouncer's server connection (PgBouncer 1.18 does not pass the name on)
        }

        if (!application.StartsWith("pgd-fleet-", StringComparison.Ordinal))
        {
            return "other";
        }

        return application.EndsWith("-rules", StringComparison.Ordinal) ? "rules LISTEN" : server == "primary" ? "instance pools" : "fleet";
    }

    public sealed record Snapshot(DateTimeOffset At, Dictionary<string, Dictionary<string, (long Calls, double ExecMs)>> Statements,
        Dictionary<string, long> Sessions, Dictionary<string, double> CpuSeconds, Dictionary<string, Dictionary<string, long>> BouncerStats);

    public async Task<Snapshot> SnapshotAsync()
    {
        var statements = new Dictionary<string, Dictionary<string, (long, double)>>();
        var sessions = new Dictionary<string, long>();
        var cpu = new Dictionary<string, double>();
        foreach (var s in Servers)
        {
            var byKind = new Dictionary<string, (long Calls, double Ms)>();
            await using var conn = new NpgsqlConnection(s.ConnectionString);
            await conn.OpenAsync();
            await using (var cmd = new NpgsqlCommand("select query, calls, total_exec_time from pg_stat_statements where dbid = (select oid from pg_database where datname = current_database())", conn))
            await using (var reader = await cmd.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    var kind = StatementKind(reader.GetString(0));
                    var (c, ms) = byKind.GetValueOrDefault(kind);
                    byKind[kind] = (c + reader.GetInt64(1), ms + reader.GetDouble(2));
                }
            }

            statements[s.Name] = byKind;
            sessions[s.Name] = await SessionsAsync(conn);
            cpu[s.Name] = ProcessTreeCpuSeconds(Postmaster(s.DataDir));
        }

        var bouncerStats = new Dictionary<string, Dictionary<string, long>>();
        foreach (var b in Bouncers)
        {
            cpu[b.Name] = ProcessTreeCpuSeconds(int.Parse(File.ReadAllText(b.PidFile).Trim(), Inv));
            var stats = (await AdminAsync(b, "SHOW STATS")).FirstOrDefault(r => r["database"] == "pgdiscipline");
            bouncerStats[b.Name] = stats is null ? [] : stats.Where(p => long.TryParse(p.Value, out _)).ToDictionary(p => p.Key, p => long.Parse(p.Value, Inv));
        }

        cpu["fleet process"] = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
        return new Snapshot(DateTimeOffset.UtcNow, statements, sessions, cpu, bouncerStats);
    }

    private static async Task<long> SessionsAsync(NpgsqlConnection conn)
    {
        await using var cmd = new NpgsqlCommand("select sessions from pg_stat_database where datname = current_database()", conn);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(), Inv);
    }

    /// <summary>Client connections on each server by kind (the probe's own left out).</summary>
    public async Task<Dictionary<string, Dictionary<string, int>>> ConnectionsAsync()
    {
        var result = new Dictionary<string, Dictionary<string, int>>();
        foreach (var s in Servers)
        {
            var byKind = new Dictionary<string, int>();
            await using var conn = new NpgsqlConnection(s.ConnectionString);
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand("select coalesce(application_name, '') from pg_stat_activity where backend_type = 'client backend' and pid <> pg_backend_pid()", conn);
            await using var reader = await cmd.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                var kind = ConnectionKind(s.Name, reader.GetString(0));
                byKind[kind] = byKind.GetValueOrDefault(kind) + 1;
            }

            result[s.Name] = byKind;
        }

        return result;
    }

    /// <summary>For the restart sampler: sessions opened so far and client connections now, per server.</summary>
    public async Task<Dictionary<string, (long Sessions, int Clients)>> CountersAsync()
    {
        var result = new Dictionary<string, (long, int)>();
        foreach (var s in Servers)
        {
            await using var conn = new NpgsqlConnection(s.ConnectionString);
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand("select (select sessions from pg_stat_database where datname = current_database()), (select count(*)::int from pg_stat_activity where backend_type = 'client backend' and application_name <> '" + ProbeApp + "')", conn);
            await using var reader = await cmd.ExecuteReaderAsync();
            await reader.ReadAsync();
            result[s.Name] = (reader.GetInt64(0), reader.GetInt32(1));
        }

        return result;
    }

    /// <summary>Each replica PgBouncer's clients of the pgdiscipline database and its server connections.</summary>
    public async Task<Dictionary<string, (int Clients, int Servers)>> BouncerPoolsAsync()
    {
        var result = new Dictionary<string, (int, int)>();
        foreach (var b in Bouncers)
        {
            var pool = (await AdminAsync(b, "SHOW POOLS")).FirstOrDefault(r => r["database"] == "pgdiscipline");
            int N(string k) => pool is not null && int.TryParse(pool.GetValueOrDefault(k), out var v) ? v : 0;
            result[b.Name] = (N("cl_active") + N("cl_waiting") + N("cl_active_cancel_req") + N("cl_waiting_cancel_req"),
                N("sv_active") + N("sv_idle") + N("sv_used") + N("sv_tested") + N("sv_login") + N("sv_active_cancel") + N("sv_being_canceled"));
        }

        return result;
    }

    /// <summary>Proportional set size of each server's processes (shared buffers counted once, split over them), in MiB.</summary>
    public Dictionary<string, double> MemoryMiB()
        => Servers.ToDictionary(s => s.Name, s => ProcessTree(Postmaster(s.DataDir)).Sum(PssKiB) / 1024.0);

    /// <summary>One admin console command (simple query protocol only: psql, not Npgsql), rows as column → value.</summary>
    private async Task<List<Dictionary<string, string>>> AdminAsync(Bouncer b, string command)
    {
        var psql = Path.Combine(_cluster.Env["PGD_PG_BIN"], "psql");
        var password = new NpgsqlConnectionStringBuilder(_cluster.Primary).Password ?? "";
        var (code, output) = await ProcessRunner.RunAsync(psql, ["-X", "-q", "--csv", "-h", "127.0.0.1", "-p", b.Port.ToString(Inv), "-U", "pgdiscipline", "-d", "pgbouncer", "-c", command],
            env: new Dictionary<string, string> { ["PGPASSWORD"] = password }, timeout: TimeSpan.FromSeconds(30));
        if (code != 0)
        {
            throw new InvalidOperationException($"{b.Name}: {command} failed (exit {code})");
        }

        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var header = lines[0].Split(',');
        return lines.Skip(1).Select(l => l.Split(',')).Where(f => f.Length == header.Length)
            .Select(f => header.Zip(f).ToDictionary(p => p.First, p => p.Second, StringComparer.Ordinal)).ToList();
    }

    private static int Postmaster(string dataDir) => int.Parse(File.ReadLines(Path.Combine(dataDir, "postmaster.pid")).First().Trim(), Inv);

    /// <summary>CPU seconds of a process, the children it has reaped and its live children: a server's whole work, including
    /// backends that exited in between.</summary>
    private static double ProcessTreeCpuSeconds(int root)
    {
        var ticks = Stat(root) is { } r ? r.Utime + r.Stime + r.CUtime + r.CStime : 0;
        foreach (var child in ProcessTree(root).Skip(1))
        {
            ticks += Stat(child) is { } c ? c.Utime + c.Stime : 0;
        }

        return ticks / (double)ClockTicks;
    }

    private static List<int> ProcessTree(int root)
    {
        var all = new List<int> { root };
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), out var pid) && pid != root && Stat(pid) is { } s && s.Parent == root)
            {
                all.Add(pid);
            }
        }

        return all;
    }

    private sealed record ProcStat(int Parent, long Utime, long Stime, long CUtime, long CStime);

    private static ProcStat? Stat(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            var f = text[(text.LastIndexOf(')') + 2)..].Split(' '); // after "pid (comm) ": f[0] is the state
            return new ProcStat(int.Parse(f[1], Inv), long.Parse(f[11], Inv), long.Parse(f[12], Inv), long.Parse(f[13], Inv), long.Parse(f[14], Inv));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null; // exited meanwhile
        }
    }

    private static long PssKiB(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/smaps_rollup").FirstOrDefault(l => l.StartsWith("Pss:", StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], Inv);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }
}
