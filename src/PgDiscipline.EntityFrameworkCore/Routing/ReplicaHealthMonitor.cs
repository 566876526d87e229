using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;
using PgDiscipline.Configuration;
using PgDiscipline.Diagnostics;
using PgDiscipline.Sql;
using PgDiscipline.Operations;

namespace PgDiscipline.Routing;

/// <summary>
/// Checks every replica each <c>HealthCheckInterval</c>: reachable, <c>pg_is_in_recovery()</c>, replay position, lag in
/// bytes and in time (see <see cref="ReplicaLag.Bound"/>) against a reading of the primary's position. The primary is
/// read every <see cref="PgDisciplineOptions.PrimaryReadingInterval"/>; in the rounds between, the furthest position a
/// replica has received stands in for it (a fleet's checks then cost the primary nothing). What a check sees goes to
/// <see cref="ReplicaAdmission"/>; with <see cref="DatabaseRuleOptions.FromReplicas"/>, a round also reads the rules.
/// Every query is a single statement, so the checks work through PgBouncer in transaction mode.
/// </summary>
internal sealed class ReplicaHealthMonitor : IAsyncDisposable
{
    private const string ReplicaQuery = """
        select pg_is_in_recovery(),
               coalesce(pg_last_wal_replay_lsn()::text, ''),
               extract(epoch from now() - pg_last_xact_replay_timestamp())::float8,
               pg_last_wal_receive_lsn() is null or pg_last_wal_receive_lsn() <= pg_last_wal_replay_lsn(),
               coalesce(pg_last_wal_receive_lsn()::text, '')
        """;

    private const string ReplayPositionQuery = "select coalesce(pg_last_wal_replay_lsn()::text, '')";

    private readonly PrimaryReadings _readings = new();
    private readonly CurrentOptions _options;
    private readonly ILogger _logger;
    private readonly ReplicaSet _replicas;
    private readonly ReplicaAdmission _admission;
    private readonly PrimaryPosition _primary;
    private readonly ReplicaRules? _rules;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stop = new();
    private readonly object _startGate = new();
    private readonly TaskCompletionSource _firstRound = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _lastPrimaryReading; // 0: never (elapsed time from a sentinel would overflow)
    private long _primaryReadings;
    private Task? _loop;

    public ReplicaHealthMonitor(CurrentOptions options, ILogger logger, ReplicaSet replicas, ReplicaAdmission admission, PrimaryPosition primary, TimeProvider time, ReplicaRules? rules = null)
    {
        _options = options;
        _logger = logger;
        _replicas = replicas;
        _admission = admission;
        _primary = primary;
        _time = time;
        _rules = rules;
    }

    /// <summary>Readings of the primary's position taken so far (the rest of the rounds used the replicas').</summary>
    public long PrimaryReadingsTaken => Interlocked.Read(ref _primaryReadings);

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
                    if (_rules is not null)
                    {
                        await _rules.PollAsync(_replicas.All, CheckTimeout, cancellationToken).ConfigureAwait(false);
                    }
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
        var replicas = _replicas.All;
        var readAt = _time.GetUtcNow();
        PrimaryReading? current = null;
        if ((_lastPrimaryReading == 0 || _time.GetElapsedTime(_lastPrimaryReading) >= _options.Value.PrimaryReadingInterval)
            && await ReadPrimaryAsync(cancellationToken).ConfigureAwait(false) is { } read)
        {
            _lastPrimaryReading = _time.GetTimestamp();
            Interlocked.Increment(ref _primaryReadings);
            current = new PrimaryReading(readAt, read.Position, read.Snapshot);
        }

        var observations = await Task.WhenAll(replicas.Select(r => ObserveAsync(r, readAt, cancellationToken))).ConfigureAwait(false);
        PrimaryReading[] samples;
        if (current is null && _readings.LatestRead is { } last)
        {
            // Between primary readings: the furthest any replica has received is where the primary was a moment ago, as long
            // as it is not behind the primary's last reading (then it says nothing: a cascade whose upstream died would be
            // measured against its own position). Such a reading joins the history only when it is ahead of the last real one.
            var received = observations.Where(o => o.Health is null && o.InRecovery).Select(o => o.Received).DefaultIfEmpty(0UL).Max();
            current = received >= last.Position ? new PrimaryReading(readAt, received, null) : null;
            samples = _readings.Add(current);
            current ??= new PrimaryReading(readAt, last.Position, last.Snapshot);
        }
        else
        {
            samples = _readings.Add(current, read: true);
        }

        await Task.WhenAll(replicas.Select((r, i) => JudgeAsync(r, observations[i], current, samples, cancellationToken))).ConfigureAwait(false);
    }

    /// <summary>Takes a replica out at once (a read on it just failed at connection level).</summary>
    public void MarkFailed(ReplicaEndpoint replica, string reason) => _admission.MarkFailed(replica, reason);

    private async Task<PrimaryReading?> ReadPrimaryAsync(CancellationToken cancellationToken)
    {
        if (!_primary.Seen)
        {
            return null;
        }

        try
        {
            return await Bounded.RunAsync(ReadPrimaryCoreAsync(_primary, cancellationToken), CheckTimeout, _time, sync: false, static _ => { }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException or TimeoutException or InvalidOperationException)
        {
            return null; // the primary being down must not stop replica checks
        }
    }

    private static async Task<PrimaryReading?> ReadPrimaryCoreAsync(PrimaryPosition primary, CancellationToken cancellationToken)
    {
        // On a connection from the app's own pool: a fleet's readings hold no primary connection of their own.
        await using var connection = await primary.OpenAsync(cancellationToken).ConfigureAwait(false);
        if (connection is null)
        {
            return null;
        }

        // The flushed position: what a replica can have received (unflushed WAL of a long transaction would make a replica
        // that keeps up look behind). The snapshot is taken before the position is read: every transaction it shows
        // completed has its commit record at or below that position.
        await using var cmd = new NpgsqlCommand("select pg_current_wal_flush_lsn()::text, pg_current_snapshot()::text", connection);
        cmd.CommandTimeout = 0; // the bound is kept from outside (see Bounded)
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) && Lsns.TryParse(reader.GetString(0), out var lsn)
            ? new PrimaryReading(default, (ulong)lsn, reader.GetString(1))
            : null;
    }

    /// <summary>What one replica says about itself, or the health of a replica that did not say.</summary>
    private readonly record struct Observation(bool InRecovery, NpgsqlLogSequenceNumber Replay, TimeSpan? SinceCommit, bool ReplayedAllReceived, ulong Received, ReplicaHealth? Health);

    private async Task<Observation> ObserveAsync(ReplicaEndpoint replica, DateTimeOffset now, CancellationToken cancellationToken)
    {
        try
        {
            return await Bounded.RunAsync(ObserveCoreAsync(replica, cancellationToken), CheckTimeout, _time, sync: false, static _ => { }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException or TimeoutException or System.Net.Sockets.SocketException or InvalidOperationException)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                throw;
            }

            var error = ex is TimeoutException ? $"no answer within {CheckTimeout.TotalMilliseconds:0} ms" : ex is PostgresException pg ? pg.SqlState : ex.GetType().Name;
            return new Observation(false, default, null, false, 0, new ReplicaHealth(false, "unreachable: " + error, replica.Health.ReplayPosition, null, null, now));
        }
    }

    private static async Task<Observation> ObserveCoreAsync(ReplicaEndpoint replica, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var cmd = replica.Monitor.CreateCommand(ReplicaQuery);
                cmd.CommandTimeout = 0; // the bound is kept from outside (see Bounded)
                await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                Lsns.TryParse(reader.GetString(1), out var replay);
                Lsns.TryParse(reader.GetString(4), out var received);
                TimeSpan? sinceCommit = reader.IsDBNull(2) ? null : TimeSpan.FromSeconds(Math.Max(0, reader.GetDouble(2)));
                // A restarted standby reports the start of the segment it asked for again, which can be behind what it replayed.
                return new Observation(reader.GetBoolean(0), replay, sinceCommit, reader.GetBoolean(3), Math.Max((ulong)received, (ulong)replay), null);
            }
            catch (NpgsqlException ex) when (attempt == 1 && ex is not PostgresException && !cancellationToken.IsCancellationRequested)
            {
                // A pooled connection that died while idle (the replica or a proxy restarted since the last check): Npgsql
                // drops it, and a fresh connection decides. Otherwise one dead socket ejects a live replica.
            }
        }
    }

    private async Task JudgeAsync(ReplicaEndpoint replica, Observation seen, PrimaryReading? current, PrimaryReading[] samples, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var health = seen.Health;
        if (health is null)
        {
            var maxLag = _options.Value.MaxReplicaLag;
            var replay = seen.Replay;
            var lag = ReplicaLag.Bound(now, (ulong)replay, seen.SinceCommit, seen.ReplayedAllReceived, current, samples);
            if (seen.InRecovery && (lag is null || lag > maxLag) && current is { Position: var target, At: var readAt })
            {
                // Too far behind, or not known: one more look, shortly, at whether it reaches this round's reading.
                try
                {
                    var later = await Bounded.RunAsync(ReachedAsync(replica, target, maxLag, cancellationToken), CheckTimeout, _time, sync: false, static _ => { }, cancellationToken).ConfigureAwait(false);
                    if ((ulong)later >= target)
                    {
                        replay = later;
                        lag = _time.GetUtcNow() - readAt;
                    }
                }
                catch (Exception ex) when (ex is NpgsqlException or TimeoutException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
                {
                    // The judgement stands on the first look.
                }
            }

            long? lagBytes = current is { Position: var p } ? (long)(p > (ulong)replay ? p - (ulong)replay : 0) : null;
            health = !seen.InRecovery
                ? new ReplicaHealth(false, "not in recovery (promoted or not a replica)", replay, lagBytes, lag, now)
                : lag is not { } known
                    ? new ReplicaHealth(false, "replay behind the primary, lag not known yet", replay, lagBytes, null, now)
                    : known > maxLag
                        ? new ReplicaHealth(false, $"replay lag {known.TotalMilliseconds:0} ms exceeds {maxLag.TotalMilliseconds:0} ms", replay, lagBytes, known, now)
                        : new ReplicaHealth(true, "streaming", replay, lagBytes, known, now);
        }

        _admission.Observe(replica, health);
    }

    /// <summary>Where the replica's replay is once it reached <paramref name="target"/>, or at the end of the confirm window.</summary>
    private async Task<NpgsqlLogSequenceNumber> ReachedAsync(ReplicaEndpoint replica, ulong target, TimeSpan maxLag, CancellationToken cancellationToken)
    {
        var step = ReplicaLag.ConfirmDelay(maxLag);
        var window = ReplicaLag.ConfirmWindow(maxLag);
        var started = _time.GetTimestamp();
        while (true)
        {
            await Task.Delay(step, _time, cancellationToken).ConfigureAwait(false);
            await using var again = replica.Monitor.CreateCommand(ReplayPositionQuery);
            again.CommandTimeout = 0;
            var later = Lsns.TryParse((string?)await again.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), out var lsn) ? lsn : default;
            if ((ulong)later >= target || step <= TimeSpan.Zero || _time.GetElapsedTime(started) + step > window)
            {
                return later;
            }
        }
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

    /// <summary>The last 64 readings of the primary (a ring; order does not matter), for <see cref="ReplicaLag.Bound"/>.</summary>
    private sealed class PrimaryReadings
    {
        private readonly PrimaryReading[] _ring = new PrimaryReading[64];
        private int _next;

        /// <summary>The newest reading taken on the primary itself, if any.</summary>
        public PrimaryReading? LatestRead { get; private set; }

        public PrimaryReading[] Add(PrimaryReading? reading, bool read = false)
        {
            lock (_ring)
            {
                if (reading is { } r)
                {
                    _ring[_next] = r;
                    _next = (_next + 1) % _ring.Length;
                    if (read)
                    {
                        LatestRead = r;
                    }
                }

                return (PrimaryReading[])_ring.Clone();
            }
        }
    }
}
