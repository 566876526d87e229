using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;
using PgDiscipline.Configuration;
using PgDiscipline.HighAvailability;
using PgDiscipline.Sql;
using PgDiscipline.Diagnostics;
using PgDiscipline.Operations;

namespace PgDiscipline.Routing;

/// <summary>
/// Checks every replica each <c>HealthCheckInterval</c>: reachable, <c>pg_is_in_recovery()</c>, replay position, lag in
/// bytes (against the primary's <c>pg_current_wal_flush_lsn()</c>) and in time (see <see cref="ReplicaLag.Bound"/>).
/// What a check sees goes to <see cref="ReplicaAdmission"/>, which takes replicas out of rotation and puts them back.
/// </summary>
internal sealed class ReplicaHealthMonitor : IAsyncDisposable
{
    private const string ReplicaQuery = """
        select pg_is_in_recovery(),
               coalesce(pg_last_wal_replay_lsn()::text, ''),
               extract(epoch from now() - pg_last_xact_replay_timestamp())::float8,
               pg_last_wal_receive_lsn() is null or pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()
        """;

    /// <summary>The last 64 readings of the primary (a ring; order does not matter), for <see cref="ReplicaLag.Bound"/>.</summary>
    private readonly PrimaryReading[] _primarySamples = new PrimaryReading[PrimaryReadingCount];
    private const int PrimaryReadingCount = 64;
    private int _primarySampleNext;

    private readonly CurrentOptions _options;
    private readonly ILogger _logger;
    private readonly ReplicaSet _replicas;
    private readonly ReplicaAdmission _admission;
    private readonly PrimaryPosition _primary;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stop = new();
    private readonly object _startGate = new();
    private Task? _loop;

    public ReplicaHealthMonitor(CurrentOptions options, ILogger logger, ReplicaSet replicas, ReplicaAdmission admission, PrimaryPosition primary, TimeProvider time)
    {
        _options = options;
        _logger = logger;
        _replicas = replicas;
        _admission = admission;
        _primary = primary;
        _time = time;
    }

    private readonly TaskCompletionSource _firstRound = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>How long one round of checks may take: the interval plus one second.</summary>
    public TimeSpan CheckTimeout => _options.Value.HealthCheckInterval + TimeSpan.FromSeconds(1);

    /// <summary>Completes when the first round of checks has ended (at once when there are no replicas).</summary>
    public Task FirstRound => _replicas.All.Length == 0 ? Task.CompletedTask : _firstRound.Task;

    /// <summary>Starts the check loop once; the task completes when its first round has ended.</summary>
    public Task EnsureStarted()
    {
        if (_loop is not null || _replicas.All.Length == 0)
        {
            return _loop is null ? Task.CompletedTask : _firstRound.Task;
        }

        lock (_startGate)
        {
            _loop ??= Task.Run(() => RunAsync(_stop.Token));
        }

        return _firstRound.Task;
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                try
                {
                    await CheckAllAsync(cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    _firstRound.TrySetResult();
                }

                await Task.Delay(_options.Value.HealthCheckInterval, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // the monitor must outlive any single failure
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Log.HealthLoopFailed(_logger, ex);
            }
        }
    }

    /// <summary>One round of checks (also called by tests and after a connection failure).</summary>
    public async Task CheckAllAsync(CancellationToken cancellationToken)
    {
        var readAt = _time.GetUtcNow();
        var current = await ReadPrimaryAsync(cancellationToken).ConfigureAwait(false) is { } read ? new PrimaryReading(readAt, read.Position, read.Snapshot) : (PrimaryReading?)null;
        PrimaryReading[] samples;
        lock (_primarySamples)
        {
            if (current is { } c)
            {
                _primarySamples[_primarySampleNext] = c;
                _primarySampleNext = (_primarySampleNext + 1) % PrimaryReadingCount;
            }

            samples = (PrimaryReading[])_primarySamples.Clone();
        }

        await Task.WhenAll(_replicas.All.Select(r => CheckAsync(r, current, samples, cancellationToken))).ConfigureAwait(false);
    }

    /// <summary>Takes a replica out at once (a read on it just failed at connection level).</summary>
    public void MarkFailed(ReplicaEndpoint replica, string reason) => _admission.MarkFailed(replica, reason);

    private async Task<PrimaryReading?> ReadPrimaryAsync(CancellationToken cancellationToken)
    {
        if (_primary.DataSource is not { } primary)
        {
            return null;
        }

        try
        {
            return await Bounded.RunAsync(ReadPrimaryCoreAsync(primary, cancellationToken), CheckTimeout, _time, sync: false, static _ => { }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException or TimeoutException or InvalidOperationException)
        {
            return null; // the primary being down must not stop replica checks
        }
    }

    private async Task<PrimaryReading?> ReadPrimaryCoreAsync(NpgsqlDataSource primary, CancellationToken cancellationToken)
    {
        // The flushed position: what a replica can have received. Unflushed WAL (a long transaction between walwriter
        // rounds) would make a replica that keeps up look behind. Shaped differently from the session capture query so
        // pg_stat_statements counts them apart. The snapshot is taken before the position is read: every transaction it
        // shows completed has its commit record at or below that position.
        await using var cmd = primary.CreateCommand("select pg_current_wal_flush_lsn()::text, pg_current_snapshot()::text");
        cmd.CommandTimeout = CheckTimeoutSeconds;
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) && Lsns.TryParse(reader.GetString(0), out var lsn)
            ? new PrimaryReading(default, (ulong)lsn, reader.GetString(1))
            : null;
    }

    /// <summary>No command timeout of Npgsql's own for checks: the monitor stops waiting itself (see <see cref="Bounded"/>);
    /// Npgsql's cancellation would block a thread until a frozen server resumes.</summary>
    private const int CheckTimeoutSeconds = 0;

    private const string ReplayPositionQuery = "select coalesce(pg_last_wal_replay_lsn()::text, '')";

    private async Task CheckAsync(ReplicaEndpoint replica, PrimaryReading? current, PrimaryReading[] samples, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        ReplicaHealth health;
        try
        {
            health = await Bounded.RunAsync(CheckCoreAsync(replica, current, samples, now, cancellationToken), CheckTimeout, _time, sync: false, static _ => { }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException or TimeoutException or System.Net.Sockets.SocketException or InvalidOperationException)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                throw;
            }

            var error = ex is TimeoutException ? $"no answer within {CheckTimeout.TotalMilliseconds:0} ms" : ex is PostgresException pg ? pg.SqlState : ex.GetType().Name;
            health = new ReplicaHealth(false, "unreachable: " + error, replica.Health.ReplayPosition, null, null, now);
        }

        _admission.Observe(replica, health);
    }

    private async Task<ReplicaHealth> CheckCoreAsync(ReplicaEndpoint replica, PrimaryReading? current, PrimaryReading[] samples, DateTimeOffset now, CancellationToken cancellationToken)
    {
        bool inRecovery;
        NpgsqlLogSequenceNumber replay;
        TimeSpan? lag;
        var maxLag = _options.Value.MaxReplicaLag;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var cmd = replica.DataSource.CreateCommand(ReplicaQuery);
                cmd.CommandTimeout = CheckTimeoutSeconds;
                await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                inRecovery = reader.GetBoolean(0);
                Lsns.TryParse(reader.GetString(1), out replay);
                TimeSpan? sinceCommit = reader.IsDBNull(2) ? null : TimeSpan.FromSeconds(Math.Max(0, reader.GetDouble(2)));
                lag = ReplicaLag.Bound(_time.GetUtcNow(), (ulong)replay, sinceCommit, reader.GetBoolean(3), current, samples);
                break;
            }
            catch (NpgsqlException ex) when (attempt == 1 && ex is not PostgresException && !cancellationToken.IsCancellationRequested)
            {
                // A pooled connection that died while idle (the replica or a proxy restarted since the last check): Npgsql
                // drops it, and a fresh connection decides. Otherwise one dead socket ejects a live replica.
            }
        }

        if (inRecovery && (lag is null || lag > maxLag) && current is { Position: var target, At: var readAt })
        {
            // Too far behind, or not known: one more look, shortly, at whether it reaches this check's reading.
            await Task.Delay(ReplicaLag.ConfirmDelay(maxLag), _time, cancellationToken).ConfigureAwait(false);
            await using var again = replica.DataSource.CreateCommand(ReplayPositionQuery);
            again.CommandTimeout = CheckTimeoutSeconds;
            if (Lsns.TryParse((string?)await again.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), out var later) && (ulong)later >= target)
            {
                replay = later;
                lag = _time.GetUtcNow() - readAt;
            }
        }

        long? lagBytes = current is { Position: var p } ? (long)(p > (ulong)replay ? p - (ulong)replay : 0) : null;
        return !inRecovery
            ? new ReplicaHealth(false, "not in recovery (promoted or not a replica)", replay, lagBytes, lag, now)
            : lag is not { } known
                ? new ReplicaHealth(false, "replay behind the primary, lag not known yet", replay, lagBytes, null, now)
                : known > maxLag
                    ? new ReplicaHealth(false, $"replay lag {known.TotalMilliseconds:0} ms exceeds {maxLag.TotalMilliseconds:0} ms", replay, lagBytes, known, now)
                    : new ReplicaHealth(true, "streaming", replay, lagBytes, known, now);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            try
            {
                await _loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        _stop.Dispose();
    }
}
