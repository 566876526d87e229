using Npgsql;

namespace PgDiscipline.Operations.Backfill;

/// <summary>
/// Everything that slows a backfill down, checked between batches: why to wait now (a pause request, the window, a
/// replica behind, a busy primary), the rate limit, the batch size (adapted toward the target duration, halved after a
/// statement timeout), and which failures are worth another try and after how long. All time is the options'
/// <see cref="BackfillOptions.TimeProvider"/>.
/// </summary>
internal sealed class BackfillThrottle
{
    private readonly BackfillOptions _options;
    private readonly string _name;
    private readonly Func<CancellationToken, ValueTask<string?>>? _primaryProbe;
    private readonly RowRate? _rate;

    public BackfillThrottle(BackfillOptions options, string name, Func<CancellationToken, ValueTask<string?>>? primaryProbe = null)
    {
        _options = options;
        _name = name;
        _primaryProbe = primaryProbe;

        // With a rate limit, a batch is at most what the rate allows in one target duration, so the runner waits for keys
        // in short slices and looks at its other throttles about that often.
        EffectiveMax = options.RowsPerSecond is { } rps
            ? Math.Max(options.MinBatchSize, Math.Min(options.MaxBatchSize, (int)Math.Ceiling(rps * options.TargetBatchDuration.TotalSeconds)))
            : options.MaxBatchSize;
        _rate = options.RowsPerSecond is { } perSecond ? new RowRate(perSecond, EffectiveMax, options.TimeProvider) : null;
    }

    /// <summary>The largest batch now.</summary>
    public int EffectiveMax { get; }

    /// <summary>The largest replica lag seen (by this run, and as stored by earlier runs).</summary>
    public TimeSpan? MaxLagSeen { get; set; }

    public int Clamp(int batchSize) => Math.Clamp(batchSize, _options.MinBatchSize, EffectiveMax);

    /// <summary>The next batch size: toward the target duration, at most doubling or halving per batch.</summary>
    public int Adapt(int batchSize, TimeSpan took)
    {
        var ratio = Math.Clamp(_options.TargetBatchDuration.TotalMilliseconds / Math.Max(1, took.TotalMilliseconds), 0.5, 2.0);
        return Clamp((int)Math.Round(batchSize * ratio));
    }

    /// <summary>After a statement timeout: half the batch.</summary>
    public int Halve(int batchSize) => Math.Max(_options.MinBatchSize, batchSize / 2);

    /// <summary>Waits until the rate limit allows <paramref name="rows"/> keys (at once without a limit).</summary>
    public ValueTask AcquireAsync(int rows, CancellationToken cancellationToken)
        => _rate is null ? ValueTask.CompletedTask : _rate.AcquireAsync(rows, cancellationToken);

    /// <summary>Why to wait before the next batch (<see cref="BackfillTable.Reasons"/>, the primary guard's answer after
    /// a colon), or null to go on.</summary>
    public async ValueTask<string?> PauseReasonAsync(string? requested, CancellationToken cancellationToken)
    {
        if (requested == BackfillTable.RequestPause)
        {
            return BackfillTable.Reasons.Requested;
        }

        if (_options.Window is { } window && !window.Contains(_options.TimeProvider.GetUtcNow()))
        {
            return BackfillTable.Reasons.Window;
        }

        if (ReplicaBehind())
        {
            return BackfillTable.Reasons.ReplicaLag;
        }

        return _primaryProbe is null ? null : await _primaryProbe(cancellationToken).ConfigureAwait(false);
    }

    private bool ReplicaBehind()
    {
        if (_options.MaxReplicaLag is not { } bound || _options.ReplicaLag is not { } readings)
        {
            return false;
        }

        var behind = false;
        foreach (var replica in readings())
        {
            if (replica.Lag is not { } lag)
            {
                // Behind, but by how long is not known yet (no commit replayed since it started): wait. Not known to be
                // behind (unreachable): a dead replica must not stop the backfill for ever.
                behind |= replica.BehindByUnknownTime;
                continue;
            }

            BackfillTelemetry.ReplicaLag.Record(lag.TotalSeconds, BackfillTelemetry.Tag(_name));
            MaxLagSeen = MaxLagSeen is { } seen && seen >= lag ? seen : lag;
            behind |= lag > bound;
        }

        return behind;
    }

    /// <summary>The busy-primary checks on the runner's own connection: more active sessions than allowed, or the custom
    /// guard's reason. Null when neither is set.</summary>
    public static Func<CancellationToken, ValueTask<string?>>? PrimaryProbe(NpgsqlConnection connection, BackfillOptions options)
    {
        if (options.MaxActiveSessions is null && options.PrimaryGuard is null)
        {
            return null;
        }

        return async cancellationToken =>
        {
            if (options.MaxActiveSessions is { } max)
            {
                await using var cmd = new NpgsqlCommand(
                    "select count(*) from pg_stat_activity where state = 'active' and backend_type = 'client backend' and pid <> pg_backend_pid()", connection);
                if ((long)(await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))! > max)
                {
                    return BackfillTable.Reasons.PrimaryGuard;
                }
            }

            return options.PrimaryGuard is { } guard && await guard(connection, cancellationToken).ConfigureAwait(false) is { } said
                ? BackfillTable.Reasons.PrimaryGuard + ": " + said
                : null;
        };
    }

    /// <summary>Why a failed batch is worth another try (a pause reason), or null.</summary>
    public static string? Retryable(Exception exception, CancellationToken cancellationToken) => exception switch
    {
        _ when cancellationToken.IsCancellationRequested => null,
        PostgresException { SqlState: PostgresErrorCodes.LockNotAvailable } => BackfillTable.Reasons.LockTimeout,
        PostgresException { SqlState: PostgresErrorCodes.QueryCanceled } => BackfillTable.Reasons.StatementTimeout,
        PostgresException { SqlState: PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected } => BackfillTable.Reasons.LockTimeout,
        PostgresException { SqlState: PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CannotConnectNow or PostgresErrorCodes.ReadOnlySqlTransaction } => BackfillTable.Reasons.PrimaryUnavailable,
        PostgresException => null,
        NpgsqlException => BackfillTable.Reasons.PrimaryUnavailable,
        _ => null,
    };

    /// <summary>Wait before retry <paramref name="attempt"/>: 100 ms doubling to 5 s.</summary>
    public static TimeSpan Backoff(int attempt) => TimeSpan.FromMilliseconds(Math.Min(5000, 100 * Math.Pow(2, Math.Min(attempt - 1, 6))));
}
