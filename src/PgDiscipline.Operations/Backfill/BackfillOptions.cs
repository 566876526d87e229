using System.Globalization;
using Microsoft.Extensions.Logging;
using Npgsql;
using PgDiscipline.Operations.Configuration;

namespace PgDiscipline;

/// <summary>How a backfill is throttled. Every throttle is checked between batches; each batch is one short transaction.</summary>
public sealed class BackfillOptions
{
    /// <summary>Keys (rows of the key range) per second, at most; null: no rate limit, only the other throttles.
    /// Enforced with a token bucket holding one batch, on <see cref="TimeProvider"/>; with a limit, a batch is at most
    /// what the rate allows in <see cref="TargetBatchDuration"/>.</summary>
    public double? RowsPerSecond { get; set; }

    /// <summary>Keys in the first batch. Default 1000.</summary>
    public int BatchSize { get; set; } = 1000;

    /// <summary>The smallest batch the adaptation may choose. Default 10.</summary>
    public int MinBatchSize { get; set; } = 10;

    /// <summary>The largest batch the adaptation may choose (and never more than <see cref="RowsPerSecond"/> allows in
    /// <see cref="TargetBatchDuration"/>). Default 10,000.</summary>
    public int MaxBatchSize { get; set; } = 10_000;

    /// <summary>The batch size adapts so a batch's transaction takes about this long (short transactions: short locks,
    /// small WAL bursts). Default 200 ms.</summary>
    public TimeSpan TargetBatchDuration { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Pause while any replica lags more than this (read from <see cref="ReplicaLag"/>); null: lag is not looked
    /// at. Default 1 s.</summary>
    public TimeSpan? MaxReplicaLag { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Where replica lag comes from, read before each batch: a <see cref="ReplicaLagMonitor"/>'s
    /// <see cref="ReplicaLagMonitor.Current"/>, or a PgDiscipline runtime's health monitor (<c>UseRuntime</c> in
    /// PgDiscipline.EntityFrameworkCore sets it). A replica whose lag is not known and that is not known to be behind (it
    /// could not be reached) does not pause the backfill (a dead replica must not stop it for ever); one that is behind by
    /// more than <see cref="MaxReplicaLag"/>, or behind by a time not known yet, does.</summary>
    public Func<IReadOnlyList<ReplicaLagReading>>? ReplicaLag { get; set; }

    /// <summary>Pause while more than this many other sessions are active on the primary (<c>pg_stat_activity</c>). Null: off.</summary>
    public int? MaxActiveSessions { get; set; }

    /// <summary>A custom primary probe run before each batch on the runner's own connection: a non-null answer is the
    /// reason to wait (e.g. a queue depth, a load average table). Null: off.</summary>
    public Func<NpgsqlConnection, CancellationToken, ValueTask<string?>>? PrimaryGuard { get; set; }

    /// <summary>Work only inside these hours. Null: any time.</summary>
    public BackfillWindow? Window { get; set; }

    /// <summary><c>lock_timeout</c> of each batch (a batch that cannot get its locks gives up and is retried after a pause,
    /// instead of queueing the application behind it). Default 1 s.</summary>
    public TimeSpan LockTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary><c>statement_timeout</c> of each batch (one that hits it is retried with half the batch). Default 30 s.</summary>
    public TimeSpan StatementTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often a waiting runner looks again (replica lag, the guard, a pause request). Default 250 ms.</summary>
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>When another runner holds the backfill: wait for it (true) or throw <see cref="BackfillLeaseException"/>
    /// at once (false, the default).</summary>
    public bool WaitForOtherRunner { get; set; }

    /// <summary>Retries of one batch after lock timeouts, statement timeouts or connection failures before the backfill
    /// is marked failed. Default 100.</summary>
    public int MaxBatchRetries { get; set; } = 100;

    /// <summary>The runner's clock: pauses, the rate limit, the window, elapsed and paused times. Default: the system
    /// clock (tests pass a fake one).</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Where the runner logs when it is given no logger factory (the runtime's logger, with <c>UseRuntime</c>).</summary>
    internal ILogger? Logger { get; set; }

    /// <summary>Sees every progress report (the runtime's statistics, with <c>UseRuntime</c>).</summary>
    internal Action<BackfillProgress>? Recorder { get; set; }

    /// <summary>Problems with these options, each naming the option (empty when valid).</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (RowsPerSecond is { } rps && !(rps > 0 && double.IsFinite(rps)))
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"RowsPerSecond must be positive (was {rps})"));
        }

        if (MinBatchSize < 1)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"MinBatchSize must be at least 1 (was {MinBatchSize})"));
        }

        if (MaxBatchSize < MinBatchSize)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"MaxBatchSize ({MaxBatchSize}) must be at least MinBatchSize ({MinBatchSize})"));
        }

        if (BatchSize < MinBatchSize || BatchSize > MaxBatchSize)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"BatchSize ({BatchSize}) must be between MinBatchSize ({MinBatchSize}) and MaxBatchSize ({MaxBatchSize})"));
        }

        // Timeouts go to set_config (an int of milliseconds in PostgreSQL), waits to Task.Delay (2^32-2 ms).
        Positive(TargetBatchDuration, nameof(TargetBatchDuration), DurationLimits.Timer);
        Positive(LockTimeout, nameof(LockTimeout), DurationLimits.PostgresTimeout);
        Positive(StatementTimeout, nameof(StatementTimeout), DurationLimits.PostgresTimeout);
        Positive(CheckInterval, nameof(CheckInterval), DurationLimits.Timer);
        if (MaxReplicaLag is { } lag)
        {
            Positive(lag, nameof(MaxReplicaLag), DurationLimits.Timer);
        }

        if (MaxActiveSessions is < 1)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"MaxActiveSessions must be at least 1 (was {MaxActiveSessions})"));
        }

        if (TimeProvider is null)
        {
            errors.Add("TimeProvider must not be null");
        }

        if (MaxBatchRetries < 0)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"MaxBatchRetries must not be negative (was {MaxBatchRetries})"));
        }

        return errors;

        void Positive(TimeSpan value, string name, TimeSpan max)
        {
            if (value <= TimeSpan.Zero)
            {
                errors.Add(string.Create(CultureInfo.InvariantCulture, $"{name} must be positive (was {value})"));
            }
            else if (Math.Ceiling(value.TotalMilliseconds) > max.TotalMilliseconds)
            {
                errors.Add(string.Create(CultureInfo.InvariantCulture, $"{name} must be at most {max:c} (was {value})"));
            }
        }
    }
}
