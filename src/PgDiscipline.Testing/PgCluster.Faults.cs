using Npgsql;

namespace PgDiscipline.Testing;

/// <summary>The faults and waits replica-routing tests need. Replicas are numbered from 0 (replica 0 is <c>replica1</c>).</summary>
public sealed partial class PgCluster
{
    private static readonly string[] LockModes =
        ["ACCESS SHARE", "ROW SHARE", "ROW EXCLUSIVE", "SHARE UPDATE EXCLUSIVE", "SHARE", "SHARE ROW EXCLUSIVE", "EXCLUSIVE", "ACCESS EXCLUSIVE"];

    /// <summary>Waits until every replica (and the standby) streams from the primary.</summary>
    public async Task WaitForStreamingAsync(CancellationToken cancellationToken = default)
    {
        var expected = _replicas.Count + (_standby is null ? 0 : 1);
        while ((long)(await ScalarAsync(PrimaryConnectionString, "select count(*) from pg_stat_replication where state = 'streaming'", cancellationToken)
            .ConfigureAwait(false))! < expected)
        {
            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Waits until a replica has replayed everything the primary has written so far.</summary>
    public async Task WaitForReplayAsync(int replica, CancellationToken cancellationToken = default)
    {
        var node = ReplicaAt(replica);
        // The insert position skips a page header when the last record ended on a page boundary; replay stops at the
        // boundary, so without taking the 24 bytes back a quiet cluster would wait here until some other write.
        var insert = NpgsqlTypes.NpgsqlLogSequenceNumber.Parse((string)(await ScalarAsync(PrimaryConnectionString, "select pg_current_wal_insert_lsn()::text", cancellationToken).ConfigureAwait(false))!);
        var target = ((ulong)insert % 8192 == 24 ? new NpgsqlTypes.NpgsqlLogSequenceNumber((ulong)insert - 24) : insert).ToString();
        while (!(bool)(await ScalarAsync(node.GetConnectionString(), "select coalesce(pg_last_wal_replay_lsn() >= $1::pg_lsn, false)", cancellationToken, target)
            .ConfigureAwait(false))!)
        {
            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Pauses WAL replay on a replica and returns once it has really paused (<c>pg_wal_replay_pause()</c> only
    /// requests it): reads there see data as of that moment and its lag grows.</summary>
    public async Task PauseReplayAsync(int replica, CancellationToken cancellationToken = default)
    {
        var connection = ReplicaAt(replica).GetConnectionString();
        await ExecuteAsync(connection, "select pg_wal_replay_pause()", cancellationToken).ConfigureAwait(false);
        while ((string?)await ScalarAsync(connection, "select pg_get_wal_replay_pause_state()", cancellationToken).ConfigureAwait(false) != "paused")
        {
            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Resumes WAL replay on a replica.</summary>
    public Task ResumeReplayAsync(int replica, CancellationToken cancellationToken = default)
        => ExecuteAsync(ReplicaAt(replica).GetConnectionString(), "select pg_wal_replay_resume()", cancellationToken);

    /// <summary>Stops a replica's server like a crash (immediate shutdown) and returns once it is down; its container, port
    /// and connection string stay.</summary>
    public Task StopReplicaAsync(int replica, CancellationToken cancellationToken = default) => ReplicaAt(replica).CrashAsync(cancellationToken);

    /// <summary>Starts a replica stopped by <see cref="StopReplicaAsync"/> (same data, same port) and returns once it
    /// accepts connections and every replica streams again.</summary>
    public async Task StartReplicaAsync(int replica, CancellationToken cancellationToken = default)
    {
        await ReplicaAt(replica).ResumeAsync(cancellationToken).ConfigureAwait(false);
        await WaitForStreamingAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops the primary's server like a crash (for failover tests, or to see what the app does while it is down).</summary>
    public Task StopPrimaryAsync(CancellationToken cancellationToken = default) => Primary.CrashAsync(cancellationToken);

    /// <summary>Starts the primary stopped by <see cref="StopPrimaryAsync"/> (crash recovery, same port) and returns once it
    /// accepts connections; the replicas reconnect on their own.</summary>
    public Task StartPrimaryAsync(CancellationToken cancellationToken = default) => Primary.ResumeAsync(cancellationToken);

    /// <summary>Kills PgBouncer (SIGKILL, like a crash): clients see their connections drop and new ones fail.</summary>
    public Task StopPgBouncerAsync(CancellationToken cancellationToken = default)
        => PgNode.SupervisedCrashAsync(RequirePgBouncer(), "pgbouncer", "KILL", cancellationToken);

    /// <summary>Starts PgBouncer again (same port and configuration) and returns once it accepts connections.</summary>
    public async Task StartPgBouncerAsync(CancellationToken cancellationToken = default)
    {
        await PgNode.ExecCheckedAsync(RequirePgBouncer(), "pgbouncer", ContainerScripts.Resume, cancellationToken).ConfigureAwait(false);
        await PgNode.WaitConnectableAsync(PgBouncerConnectionString!, "PgBouncer", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Promotes the synchronous standby to primary (<c>pg_promote()</c>, waits until it accepts writes). The
    /// replicas keep following the old primary; PgBouncer still points at it.</summary>
    public async Task PromoteStandbyAsync(CancellationToken cancellationToken = default)
    {
        var standby = StandbyConnectionString ?? throw new InvalidOperationException("The cluster has no standby: build it with WithSynchronousStandby().");
        await ExecuteAsync(standby, "select pg_promote(wait => true, wait_seconds => 60)", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Holds a table lock on the primary from a connection of its own (<c>BEGIN; LOCK TABLE … IN
    /// <paramref name="mode"/> MODE</c>) until the returned handle is disposed: what a migration or a long transaction
    /// does to the queries behind it. <paramref name="table"/> is a table name, or <c>schema.table</c>; each part is quoted
    /// as written (case-sensitive, as EF Core creates tables: <c>"Messages"</c>).</summary>
    public async Task<IAsyncDisposable> HoldLockAsync(string table, string mode = "ACCESS EXCLUSIVE", CancellationToken cancellationToken = default)
    {
        var name = QualifiedName(table);
        var normalized = (mode ?? "").Trim().ToUpperInvariant();
        if (!LockModes.Contains(normalized))
        {
            throw new ArgumentException($"Unknown lock mode (one of: {string.Join(", ", LockModes)}).", nameof(mode));
        }

        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(PrimaryConnectionString) { Pooling = false }.ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (var command = new NpgsqlCommand($"lock table {name} in {normalized} mode", connection, transaction))
            {
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            return new HeldLock(connection, transaction);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary><c>table</c> or <c>schema.table</c> as quoted identifiers; anything else is refused.</summary>
    internal static string QualifiedName(string table)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(table);
        var parts = table.Split('.');
        if (parts.Length > 2 || parts.Any(p => p.Length == 0 || p.Contains('\0', StringComparison.Ordinal)))
        {
            throw new ArgumentException("A table is 'name' or 'schema.name'.", nameof(table));
        }

        return string.Join('.', parts.Select(p => "\"" + p.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""));
    }

    private sealed class HeldLock(NpgsqlConnection connection, NpgsqlTransaction transaction) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await transaction.RollbackAsync().ConfigureAwait(false);
            await transaction.DisposeAsync().ConfigureAwait(false);
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>What a reused cluster's last run may have left once its servers run again (the containers' start-up
    /// callback lets a server stopped by a fault start): replay paused.</summary>
    private async Task UndoFaultsAsync(CancellationToken ct)
    {
        for (var i = 0; i < _replicas.Count; i++)
        {
            await ResumeReplayAsync(i, ct).ConfigureAwait(false);
        }
    }

    private PgNode ReplicaAt(int replica)
    {
        var replicas = Replicas;
        return replica >= 0 && replica < replicas.Count
            ? replicas[replica]
            : throw new ArgumentOutOfRangeException(nameof(replica), replica, $"Replicas are numbered from 0; this cluster has {replicas.Count}.");
    }

    private DotNet.Testcontainers.Containers.IContainer RequirePgBouncer()
        => PgBouncerContainer ?? throw new InvalidOperationException("The cluster has no PgBouncer: build it with WithPgBouncer().");

    private static async Task<object?> ScalarAsync(string connectionString, string sql, CancellationToken ct, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync(ct).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        return await command.ExecuteScalarAsync(ct).ConfigureAwait(false);
    }

    private static Task ExecuteAsync(string connectionString, string sql, CancellationToken ct) => ScalarAsync(connectionString, sql, ct);
}
