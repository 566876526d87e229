using Npgsql;
using PgDiscipline.Operations;

namespace PgDiscipline;

/// <summary>
/// Replica lag for a backfill that has no PgDiscipline runtime (<c>pgdiscipline backfill run --replica …</c>, or an
/// application on Npgsql alone): reads the primary's position and snapshot and each replica's replay position every
/// interval and applies the rule the runtime's health monitor and <c>doctor</c> apply (<see cref="ReplicaLag.Bound"/>).
/// Give <c>() =&gt; monitor.Current</c> to <see cref="BackfillOptions.ReplicaLag"/>. An application with the EF Core
/// runtime uses the runtime's own monitor instead (<c>BackfillOptions.UseRuntime</c>).
/// </summary>
public sealed class ReplicaLagMonitor : IAsyncDisposable
{
    private const int HistorySize = 64;
    private readonly NpgsqlDataSource _primary;
    private readonly (string Name, NpgsqlDataSource Source)[] _replicas;
    private readonly TimeSpan _interval;
    private readonly TimeProvider _time;
    private readonly List<PrimaryReading> _history = [];
    private readonly CancellationTokenSource _stop = new();
    private volatile ReplicaLagReading[] _latest;
    private Task? _loop;

    /// <summary>Creates a monitor of <paramref name="replicaConnectionStrings"/> against <paramref name="primary"/>, read
    /// every <paramref name="interval"/> once started. Each replica's connection times out after four intervals (at least
    /// a second).</summary>
    public ReplicaLagMonitor(NpgsqlDataSource primary, IReadOnlyList<string> replicaConnectionStrings, TimeSpan interval, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(primary);
        ArgumentNullException.ThrowIfNull(replicaConnectionStrings);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        _primary = primary;
        _interval = interval;
        _time = timeProvider ?? TimeProvider.System;
        _replicas = replicaConnectionStrings.Select(cs =>
        {
            var builder = new NpgsqlConnectionStringBuilder(cs) { Timeout = Math.Max(1, (int)Math.Min(1024, Math.Ceiling(interval.TotalSeconds * 4))) };
            return ($"{builder.Host}:{builder.Port}", new NpgsqlDataSourceBuilder(builder.ConnectionString).Build());
        }).ToArray();
        _latest = _replicas.Select(r => new ReplicaLagReading(r.Name, null, null)).ToArray();
    }

    /// <summary>The replicas as last read (before the first read: lag unknown, not known to be behind).</summary>
    public IReadOnlyList<ReplicaLagReading> Current => _latest;

    /// <summary>Reads once now, then every interval in the background until disposed.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (_loop is not null)
        {
            throw new InvalidOperationException("The monitor is already started.");
        }

        await CheckAsync(cancellationToken).ConfigureAwait(false);
        _loop = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(_interval, _time, _stop.Token).ConfigureAwait(false);
                    await CheckAsync(_stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (_stop.IsCancellationRequested)
                {
                    return;
                }
            }
        }, CancellationToken.None);
    }

    private async Task CheckAsync(CancellationToken cancellationToken)
    {
        PrimaryReading? current = null;
        try
        {
            var at = _time.GetUtcNow();
            await using var cmd = _primary.CreateCommand("select pg_current_wal_flush_lsn()::text, pg_current_snapshot()::text");
            await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (await r.ReadAsync(cancellationToken).ConfigureAwait(false) && NpgsqlTypes.NpgsqlLogSequenceNumber.TryParse(r.GetString(0), out var lsn))
            {
                current = new PrimaryReading(at, (ulong)lsn, r.GetString(1));
                _history.Add(current.Value);
                if (_history.Count > HistorySize)
                {
                    _history.RemoveAt(0);
                }
            }
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            // The primary being unreachable must not stop replica checks.
        }

        var readings = new ReplicaLagReading[_replicas.Length];
        for (var i = 0; i < _replicas.Length; i++)
        {
            readings[i] = await ReadReplicaAsync(_replicas[i].Name, _replicas[i].Source, current, cancellationToken).ConfigureAwait(false);
        }

        _latest = readings;
    }

    private async Task<ReplicaLagReading> ReadReplicaAsync(string name, NpgsqlDataSource source, PrimaryReading? current, CancellationToken cancellationToken)
    {
        try
        {
            await using var cmd = source.CreateCommand("""
                select pg_is_in_recovery(), coalesce(pg_last_wal_replay_lsn()::text, ''),
                       extract(epoch from now() - pg_last_xact_replay_timestamp())::float8,
                       pg_last_wal_receive_lsn() is null or pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()
                """);
            await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await r.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (!r.GetBoolean(0))
            {
                return new ReplicaLagReading(name, null, null); // not a standby (promoted, or misconfigured): nothing to wait for
            }

            var replay = NpgsqlTypes.NpgsqlLogSequenceNumber.TryParse(r.GetString(1), out var lsn) ? (ulong)lsn : 0;
            TimeSpan? sinceCommit = r.IsDBNull(2) ? null : TimeSpan.FromSeconds(Math.Max(0, r.GetDouble(2)));
            var lag = ReplicaLag.Bound(_time.GetUtcNow(), replay, sinceCommit, r.GetBoolean(3), current, _history);
            long? behind = current is { Position: var p } ? (long)(p > replay ? p - replay : 0) : null;
            return new ReplicaLagReading(name, lag, behind);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            return new ReplicaLagReading(name, null, null);
        }
    }

    /// <summary>Stops the loop and closes the replicas' connections.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }

        foreach (var (_, source) in _replicas)
        {
            await source.DisposeAsync().ConfigureAwait(false);
        }

        _stop.Dispose();
    }
}
