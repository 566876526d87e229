using System.Diagnostics;
using Npgsql;

namespace PgDiscipline.Workload;

/// <summary>The local cluster of build/cluster.sh (read from its env file) and the faults that can be done to it.</summary>
internal sealed class Cluster
{
    private readonly Dictionary<string, string> _env;

    private Cluster(Dictionary<string, string> env) => _env = env;

    public string Primary => _env["PGD_PRIMARY"];

    public IReadOnlyList<string> Replicas => [_env["PGD_REPLICA1"], _env["PGD_REPLICA2"]];

    public string PgBouncer => _env["PGD_PGBOUNCER"];

    public string? PgPool => _env.GetValueOrDefault("PGD_PGPOOL");

    public static Cluster Load(string path)
        => new(File.ReadAllLines(path).Where(l => l.Contains('=', StringComparison.Ordinal) && !l.StartsWith('#'))
            .ToDictionary(l => l[..l.IndexOf('=', StringComparison.Ordinal)], l => l[(l.IndexOf('=', StringComparison.Ordinal) + 1)..].Trim('\'')));

    /// <summary>Stops a server like a crash (<c>pg_ctl stop -m immediate</c>): primary, replica1 or replica2.</summary>
    public Task StopAsync(string server)
        => PgCtlAsync("-D", _env[$"PGD_{server.ToUpperInvariant()}_DATA"], "stop", "-m", "immediate", "-w", "-t", "30");

    public Task StartAsync(string server)
    {
        var key = server.ToUpperInvariant();
        return PgCtlAsync("-D", _env[$"PGD_{key}_DATA"], "-l", Path.Combine(_env["PGD_CLUSTER_DIR"], server + ".log"),
            "-o", "-p " + _env[$"PGD_{key}_PORT"], "-w", "-t", "60", "start");
    }

    /// <summary>Kills PgBouncer (SIGKILL, like a crash).</summary>
    public async Task KillPgBouncerAsync()
    {
        var pidFile = Path.Combine(_env["PGD_CLUSTER_DIR"], "pgbouncer", "pgbouncer.pid");
        var pid = int.Parse((await File.ReadAllTextAsync(pidFile)).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        using var process = Process.GetProcessById(pid);
        process.Kill();
        await process.WaitForExitAsync();
    }

    public Task StartPgBouncerAsync()
    {
        var binary = File.Exists("/usr/sbin/pgbouncer") ? "/usr/sbin/pgbouncer" : "pgbouncer";
        return RunAsUserAsync(binary, "-d", "-q", _env["PGD_PGBOUNCER_INI"]);
    }

    public static async Task PauseReplayAsync(string replica)
    {
        await ScalarAsync(replica, "select pg_wal_replay_pause()");
        for (var i = 0; i < 100 && (string?)await ScalarAsync(replica, "select pg_get_wal_replay_pause_state()") != "paused"; i++)
        {
            await Task.Delay(50);
        }
    }

    public static Task ResumeReplayAsync(string replica) => ScalarAsync(replica, "select pg_wal_replay_resume()");

    public static async Task<object?> ScalarAsync(string connectionString, string sql)
    {
        await using var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        return await cmd.ExecuteScalarAsync();
    }

    /// <summary>Waits until the primary sees both replicas streaming again.</summary>
    public async Task WaitHealthyAsync(TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if ((long)(await ScalarAsync(Primary, "select count(*) from pg_stat_replication where state = 'streaming'"))! == 2)
                {
                    return;
                }
            }
            catch (NpgsqlException) when (sw.Elapsed < timeout)
            {
            }

            if (sw.Elapsed > timeout)
            {
                throw new TimeoutException("the cluster did not return to primary + 2 streaming replicas");
            }

            await Task.Delay(200);
        }
    }

    private Task PgCtlAsync(params string[] args) => RunAsUserAsync(Path.Combine(_env["PGD_PG_BIN"], "pg_ctl"), args);

    private async Task RunAsUserAsync(string file, params string[] args)
    {
        var runAs = _env.GetValueOrDefault("PGD_RUN_AS", "");
        var psi = runAs.Length > 0 ? new ProcessStartInfo("runuser", ["-u", runAs, "--", file, .. args]) : new ProcessStartInfo(file, args);
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        using var process = Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(file)} {string.Join(' ', args)} exited with {process.ExitCode}: {await stderr}");
        }
    }
}
