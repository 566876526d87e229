using System.Diagnostics;
using Npgsql;
using PgDiscipline.Sql;

namespace PgDiscipline.Cli;

/// <summary>
/// The CLI's replica lag readings for <c>pgdiscipline backfill run --replica …</c>: a loop that reads the primary's
/// position and each replica's replay position every interval and applies the same rule as the runtime's health monitor
/// and <c>doctor</c> (<see cref="ReplicaLag.Bound"/>). An application runs its backfills with its own runtime's monitor
/// instead (<c>BackfillOptions.UseRuntime</c>); this is for the command line, which has none.
/// </summary>
internal sealed class ReplicaLagMonitor : IAsyncDisposable
{
    private readonly NpgsqlDataSource _primary;
    private readonly (string Name, NpgsqlDataSource Source)[] _replicas;
    private readonly TimeSpan _interval;
    private readonly List<PrimaryReading> _history = [];
    private readonly CancellationTokenSource _stop = new();
    private volatile ReplicaStatus[] _latest;
    private Task? _loop;

    public ReplicaLagMonitor(NpgsqlDataSource primary, IReadOnlyList<string> replicas, TimeSpan interval)
    {
        _primary = primary;
        _interval = interval;
        _replicas = replicas.Select((cs, i) =>
        {
            var builder = new NpgsqlConnectionStringBuilder(cs) { Timeout = Math.Max(1, (int)Math.Ceiling(interval.TotalSeconds * 4)) };
            return ($"{builder.Host}:{builder.Port}", new NpgsqlDataSourceBuilder(builder.ConnectionString).Build());
        }).ToArray();
        _latest = _replicas.Select(r => Status(r.Name, null, "not checked yet", default)).ToArray();
    }

    /// <summary>The replicas as last checked (a replica that could not be reached has no lag).</summary>
    public IReadOnlyList<ReplicaStatus> Current => _latest;

    /// <summary>Checks once now, then every interval in the background.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await CheckAsync(cancellationToken).ConfigureAwait(false);
        _loop = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(_interval, _stop.Token).ConfigureAwait(false);
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
            var at = DateTimeOffset.UtcNow;
            await using var cmd = _primary.CreateCommand("select pg_current_wal_flush_lsn()::text, pg_current_snapshot()::text");
            await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (await r.ReadAsync(cancellationToken).ConfigureAwait(false) && NpgsqlTypes.NpgsqlLogSequenceNumber.TryParse(r.GetString(0), out var lsn))
            {
                current = new PrimaryReading(at, (ulong)lsn, r.GetString(1));
                _history.Add(current.Value);
                if (_history.Count > 64)
                {
                    _history.RemoveAt(0);
                }
            }
        }
        catch (NpgsqlException)
        {
            // The primary being unreachable must not stop replica checks.
        }

        var statuses = new ReplicaStatus[_replicas.Length];
        for (var i = 0; i < _replicas.Length; i++)
        {
            var (name, source) = _replicas[i];
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
                    statuses[i] = Status(name, null, "not in recovery", default);
                    continue;
                }

                var replay = NpgsqlTypes.NpgsqlLogSequenceNumber.TryParse(r.GetString(1), out var lsn) ? lsn : default;
                TimeSpan? sinceCommit = r.IsDBNull(2) ? null : TimeSpan.FromSeconds(Math.Max(0, r.GetDouble(2)));
                var lag = ReplicaLag.Bound(DateTimeOffset.UtcNow, (ulong)replay, sinceCommit, r.GetBoolean(3), current, _history);
                long? behind = current is { Position: var p } ? (long)(p > (ulong)replay ? p - (ulong)replay : 0) : null;
                statuses[i] = Status(name, lag, lag is null ? "replay behind the primary, lag not known yet" : "streaming", replay, behind);
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
            {
                statuses[i] = Status(name, null, "unreachable", default);
            }
        }

        _latest = statuses;
    }

    private static ReplicaStatus Status(string name, TimeSpan? lag, string status, NpgsqlTypes.NpgsqlLogSequenceNumber replay, long? lagBytes = null)
        => new(name, "default", 1, lag is not null, 0, new ReplicaHealth(lag is not null, status, replay, lagBytes, lag, DateTimeOffset.UtcNow));

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
        Debug.Assert(_stop.IsCancellationRequested);
    }
}
