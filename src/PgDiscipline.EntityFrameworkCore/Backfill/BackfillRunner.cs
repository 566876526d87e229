using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using PgDiscipline.Backfill;
using PgDiscipline.Sql;
using PgDiscipline.Diagnostics;

namespace PgDiscipline;

/// <summary>
/// Runs a <see cref="BackfillDefinition"/> against the primary, patiently: keyset batches over the table's unique key,
/// each batch and its progress row in one short transaction (lock and statement timeouts set per batch), so a process
/// killed at any moment resumes where the last commit left it and every key is done exactly once. Between batches it
/// waits while a pause is requested, a replica lags, the primary guard says so, or the window is closed; it holds to
/// <see cref="BackfillOptions.RowsPerSecond"/> and adapts the batch size to <see cref="BackfillOptions.TargetBatchDuration"/>.
/// One runner per backfill at a time: a session-level advisory lock on a connection the runner keeps open (released by
/// PostgreSQL the moment the runner's process dies), and every batch checks it still owns the row.
/// </summary>
/// <remarks>The data source must reach the primary directly, or through PgBouncer in session mode: the runner's lock is a
/// session lock, which transaction pooling would hand to other clients.</remarks>
public sealed class BackfillRunner
{
    private readonly NpgsqlDataSource _primary;
    private readonly BackfillDefinition _definition;
    private readonly BackfillOptions _options;
    private readonly ILogger _logger;
    private readonly string _owner = $"{Environment.MachineName}:{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}:{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>Creates a runner. <paramref name="primary"/> must reach the primary (see remarks).</summary>
    public BackfillRunner(NpgsqlDataSource primary, BackfillDefinition definition, BackfillOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(primary);
        ArgumentNullException.ThrowIfNull(definition);
        _primary = primary;
        _definition = definition;
        _options = options ?? new BackfillOptions();
        _logger = loggerFactory?.CreateLogger("PgDiscipline") ?? _options.Runtime?.Logger ?? NullLogger.Instance;
    }

    /// <summary>The backfill's name.</summary>
    public string Name => _definition.Name;

    /// <summary>This runner's identity in the progress row (host:process:id).</summary>
    public string Owner => _owner;

    /// <summary>
    /// Runs the backfill until every key is done, it is cancelled (<c>pgdiscipline backfill cancel</c>), or
    /// <paramref name="cancellationToken"/> fires (between batches, or the batch in flight is rolled back). Returns where
    /// it stands. Before anything is written, the definition is checked against the database: an unknown table or key
    /// column, a key without a unique index of its own or that allows nulls, a statement that does not plan, or a name
    /// used for another definition throw <see cref="BackfillDefinitionException"/>; another runner holding it throws
    /// <see cref="BackfillLeaseException"/> (or is waited for). A batch error a retry cannot fix marks it failed and is rethrown.
    /// </summary>
    public async Task<BackfillProgress> RunAsync(IProgress<BackfillProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var problems = _options.Validate();
        if (problems.Count > 0)
        {
            throw new BackfillDefinitionException(Name, "invalid options: " + string.Join("; ", problems));
        }

        await using var lease = await _primary.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var table = await ResolveAsync(lease, cancellationToken).ConfigureAwait(false);
        try
        {
            await _definition.Work.DryRunAsync(lease, table.KeyType, cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException ex)
        {
            // SQLSTATE and object names only: a message can quote a value of the statement.
            throw new BackfillDefinitionException(Name, $"the batch statement does not run on {table.Table}: {SafeErrorText.Describe(ex)}");
        }

        // Checked: from here on the runner writes. DDL only when the schema is missing or older (it needs ownership).
        await using (var current = new NpgsqlCommand(BackfillTrust.SchemaCurrentSql, lease))
        {
            if (await current.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not true)
            {
                await ExecuteAsync(lease, BackfillTrust.CreateSql, cancellationToken).ConfigureAwait(false);
            }
        }

        await AcquireAsync(lease, cancellationToken).ConfigureAwait(false);
        try
        {
            var run = new Run(this, lease, table, progress);
            return await run.ExecuteAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (lease.State == System.Data.ConnectionState.Open)
            {
                try
                {
                    await using var unlock = new NpgsqlCommand("select pg_advisory_unlock(hashtext('pgdiscipline.backfill'), hashtext($1))", lease) { Parameters = { new() { Value = Name } } };
                    await unlock.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
                }
                catch (NpgsqlException)
                {
                    // The connection broke: PostgreSQL released the lock with the session.
                }
            }
        }
    }

    /// <summary>Every backfill in <c>pgdiscipline.backfills</c> (none when the table does not exist).</summary>
    public static async Task<IReadOnlyList<BackfillProgress>> ListAsync(NpgsqlDataSource primary, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(primary);
        await using var connection = await primary.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (var exists = new NpgsqlCommand("select to_regclass('pgdiscipline.backfills') is not null", connection))
        {
            if (!(bool)(await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
            {
                return [];
            }
        }

        var list = new List<BackfillProgress>();
        await using var cmd = new NpgsqlCommand(BackfillTable.StatusSql + " order by created_at, name", connection);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(BackfillRows.Read(reader));
        }

        return list;
    }

    /// <summary>Asks the runner of <paramref name="name"/> to pause (it waits between batches), resume, or cancel (it stops
    /// after the batch in flight). Returns false when no such backfill exists.</summary>
    public static async Task<bool> RequestAsync(NpgsqlDataSource primary, string name, BackfillRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(primary);
        await using var connection = await primary.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (var exists = new NpgsqlCommand("select to_regclass('pgdiscipline.backfills') is not null", connection))
        {
            if (!(bool)(await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
            {
                return false;
            }
        }

        // Through pgdiscipline.request_backfill (SECURITY DEFINER): an operator needs EXECUTE on it, not UPDATE on the table.
        await using var cmd = new NpgsqlCommand(
            "select coalesce(pgdiscipline.request_backfill($1, $2), false)", connection)
        {
            Parameters =
            {
                new() { Value = name },
                new() { Value = request switch { BackfillRequest.Pause => BackfillTable.RequestPause, BackfillRequest.Cancel => BackfillTable.RequestCancel, _ => "resume" } },
            },
        };
        try
        {
            return await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is true;
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UndefinedFunction)
        {
            // A table set up before the function existed (the next runner adds it): the table itself, for whoever may update it.
            await using var update = new NpgsqlCommand("update pgdiscipline.backfills set requested = nullif($2, 'resume'), updated_at = now() where name = $1", connection)
            {
                Parameters = { new() { Value = name }, new() { Value = cmd.Parameters[1].Value } },
            };
            return await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) > 0;
        }
    }

    private async Task AcquireAsync(NpgsqlConnection lease, CancellationToken cancellationToken)
    {
        while (true)
        {
            await using (var cmd = new NpgsqlCommand("select pg_try_advisory_lock(hashtext('pgdiscipline.backfill'), hashtext($1))", lease) { Parameters = { new() { Value = Name } } })
            {
                if ((bool)(await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
                {
                    return;
                }
            }

            if (!_options.WaitForOtherRunner)
            {
                await using var owner = new NpgsqlCommand("select owner from pgdiscipline.backfills where name = $1", lease) { Parameters = { new() { Value = Name } } };
                throw new BackfillLeaseException(Name, await owner.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string);
            }

            await Task.Delay(_options.CheckInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The table and key as PostgreSQL knows them; a clear error for each way they cannot carry a backfill.</summary>
    private async Task<TableFacts> ResolveAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var key = _definition.KeyColumn;
        var exact = key.Length > 1 && key[0] == '"' && key[^1] == '"' ? key[1..^1].Replace("\"\"", "\"", StringComparison.Ordinal) : null;
        await using var cmd = new NpgsqlCommand("""
            select c.oid::regclass::text, c.relkind::text, a.attname::text, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                   exists (select 1 from pg_index i
                           where i.indrelid = c.oid and i.indisunique and i.indisvalid and i.indpred is null
                             and i.indnkeyatts = 1 and i.indkey[0] = a.attnum),
                   case when c.reltuples < 0 then null else c.reltuples::bigint end
            from pg_class c
            left join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
                 and a.attname = coalesce($3, case when exists (select 1 from pg_attribute x where x.attrelid = c.oid and x.attname = $2 and not x.attisdropped) then $2 else lower($2) end)
            where c.oid = to_regclass($1)
            """, connection)
        {
            Parameters =
            {
                new() { Value = _definition.Table },
                new() { Value = key },
                new() { Value = (object?)exact ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text },
            },
        };
        NpgsqlDataReader reader;
        try
        {
            reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.InvalidName or PostgresErrorCodes.SyntaxError)
        {
            // to_regclass refuses text that is not a (qualified) name at all, e.g. "bf; drop table …".
            throw new BackfillDefinitionException(Name, "the table is not a table name (schema.table, quoted identifiers allowed)");
        }

        await using var owned = reader;
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            throw new BackfillDefinitionException(Name, $"no table {_definition.Table} (looked up with the connection's search_path)");
        }

        var regclass = reader.GetString(0);
        if (reader.GetString(1) is not ("r" or "p"))
        {
            throw new BackfillDefinitionException(Name, $"{regclass} is not a table");
        }

        if (reader.IsDBNull(2))
        {
            throw new BackfillDefinitionException(Name, $"{regclass} has no column {key}");
        }

        var column = reader.GetString(2);
        if (!reader.GetBoolean(5))
        {
            throw new BackfillDefinitionException(Name, $"{regclass}.{column} has no unique index of its own (the primary key, or CREATE UNIQUE INDEX … ({column})): batches over a key that repeats would split rows with the same key across batches or do them twice");
        }

        if (!reader.GetBoolean(4))
        {
            throw new BackfillDefinitionException(Name, $"{regclass}.{column} allows nulls: rows with a null key would never be in a batch (add NOT NULL, or pick another key)");
        }

        return new TableFacts(regclass, column, QuoteIdent(column), reader.GetString(3), reader.IsDBNull(6) ? null : reader.GetInt64(6));
    }

    private static string QuoteIdent(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand(sql, connection);
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    internal sealed record TableFacts(string Table, string Column, string QuotedColumn, string KeyType, long? RowsEstimate);

    /// <summary>One run of the backfill: the loop and its bookkeeping.</summary>
    private sealed class Run
    {
        private readonly BackfillRunner _runner;
        private readonly NpgsqlConnection _lease;
        private readonly TableFacts _table;
        private readonly IProgress<BackfillProgress>? _progress;
        private readonly BackfillOptions _options;
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly Dictionary<string, long> _pauses = new(StringComparer.Ordinal);
        private readonly string _boundsFirst;
        private readonly string _boundsNext;
        private string? _lastKey;
        private string? _endKey;
        private string? _requested;
        private string? _pauseReason;
        private long _pausedAt;
        private TimeSpan _pausedBefore;
        private TimeSpan _pausedThisRun;
        private TimeSpan _runBefore;
        private long _rowsDone;
        private long _rowsAffected;
        private long _batches;
        private int _batchSize;
        private TimeSpan? _maxLag;
        private DateTimeOffset _createdAt;
        private DateTimeOffset? _startedAt;

        public Run(BackfillRunner runner, NpgsqlConnection lease, TableFacts table, IProgress<BackfillProgress>? progress)
        {
            _runner = runner;
            _lease = lease;
            _table = table;
            _progress = progress;
            _options = runner._options;
            _batchSize = _options.BatchSize;
            var k = table.QuotedColumn;
            var t = table.Table;
            // Each "::text" gets an alias: ORDER BY a name that is also an output column sorts by the output (text), and
            // '999' > '1000'.
            _boundsFirst = $"with b as materialized (select {k} as k from {t} where {k} <= $2::{table.KeyType} order by {k} limit $3) " +
                "select (select k::text as bound from b order by k limit 1), (select k::text as bound from b order by k desc limit 1), (select count(*) from b)";
            _boundsNext = $"with b as materialized (select {k} as k from {t} where {k} > $1::{table.KeyType} and {k} <= $2::{table.KeyType} order by {k} limit $3) " +
                "select (select k::text as bound from b order by k limit 1), (select k::text as bound from b order by k desc limit 1), (select count(*) from b)";
        }

        private string Name => _runner.Name;

        /// <summary>The largest batch now: with a rate limit, no more than the rate allows in one target duration, so the
        /// runner waits for permits in short slices and looks at its throttles about that often.</summary>
        private int EffectiveMax => _options.RowsPerSecond is { } rps
            ? Math.Max(_options.MinBatchSize, Math.Min(_options.MaxBatchSize, (int)Math.Ceiling(rps * _options.TargetBatchDuration.TotalSeconds)))
            : _options.MaxBatchSize;

        public async Task<BackfillProgress> ExecuteAsync(CancellationToken cancellationToken)
        {
            var state = await StartAsync(cancellationToken).ConfigureAwait(false);
            if (state == BackfillState.Done)
            {
                Log.BackfillFinished(_runner._logger, Name, BackfillTable.StateDone, _rowsDone);
                return Report(BackfillState.Done);
            }

            Log.BackfillStarted(_runner._logger, Name, _table.Table, _rowsDone);
            using var limiter = _options.RowsPerSecond is { } rps ? CreateLimiter(rps, EffectiveMax) : null;
            var retries = 0;
            try
            {
                while (true)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if (_requested == BackfillTable.RequestCancel)
                    {
                        return await FinishAsync(BackfillState.Cancelled, null).ConfigureAwait(false);
                    }

                    if (await PauseReasonAsync(cancellationToken).ConfigureAwait(false) is { } reason)
                    {
                        await PauseAsync(reason, cancellationToken).ConfigureAwait(false);
                        await Task.Delay(_options.CheckInterval, cancellationToken).ConfigureAwait(false);
                        _requested = await PollRequestAsync(cancellationToken).ConfigureAwait(false);
                        continue;
                    }

                    if (_pauseReason is not null)
                    {
                        await ResumeAsync(cancellationToken).ConfigureAwait(false);
                    }

                    _batchSize = Math.Clamp(_batchSize, _options.MinBatchSize, EffectiveMax);
                    if (limiter is not null)
                    {
                        using var permits = await limiter.AcquireAsync(_batchSize, cancellationToken).ConfigureAwait(false);
                    }

                    var (lower, upper, count) = await BoundsAsync(cancellationToken).ConfigureAwait(false);
                    if (count == 0)
                    {
                        return await FinishAsync(BackfillState.Done, null).ConfigureAwait(false);
                    }

                    var started = Stopwatch.GetTimestamp();
                    try
                    {
                        var affected = await BatchAsync(lower!, upper!, count, cancellationToken).ConfigureAwait(false);
                        var took = Stopwatch.GetElapsedTime(started);
                        _lastKey = upper;
                        _rowsDone += count;
                        _rowsAffected += affected;
                        _batches++;
                        retries = 0;
                        var tags = new KeyValuePair<string, object?>("pgdiscipline.backfill", Name);
                        PgDisciplineTelemetry.BackfillRows.Add(count, tags);
                        PgDisciplineTelemetry.BackfillBatchDuration.Record(took.TotalMilliseconds, tags);
                        Adapt(took);
                        Publish(BackfillState.Running);
                    }
                    catch (Exception ex) when (Retryable(ex, cancellationToken) is { } why)
                    {
                        if (++retries > _options.MaxBatchRetries)
                        {
                            await FinishAsync(BackfillState.Failed, $"{why}: {retries - 1} retries of one batch failed", swallow: true).ConfigureAwait(false);
                            throw;
                        }

                        Log.BackfillBatchRetry(_runner._logger, Name, why, retries);
                        if (why == BackfillTable.Reasons.StatementTimeout)
                        {
                            _batchSize = Math.Max(_options.MinBatchSize, _batchSize / 2);
                        }

                        await CountPauseAsync(why, cancellationToken).ConfigureAwait(false);
                        await Task.Delay(Backoff(retries), cancellationToken).ConfigureAwait(false);
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                await FinishAsync(BackfillState.Stopped, null, swallow: true).ConfigureAwait(false);
                throw;
            }
            catch (BackfillLeaseException)
            {
                throw;
            }
            catch (PostgresException ex)
            {
                Log.BackfillFailed(_runner._logger, Name, ex.SqlState);
                // Stored and shown by status: SQLSTATE and object names only, never the row value the message may quote.
                await FinishAsync(BackfillState.Failed, SafeErrorText.Describe(ex), swallow: true).ConfigureAwait(false);
                throw;
            }
        }

        private static TokenBucketRateLimiter CreateLimiter(double rowsPerSecond, int maxBatch)
        {
            // Whole tokens per period, the period stretched so the rate is exact: 2000/s -> 200 per 100 ms; 5/s -> 1 per 200 ms.
            // The bucket holds one batch at most: the only burst is the first batch.
            var perPeriod = Math.Max(1, (int)Math.Round(rowsPerSecond / 10));
            return new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
            {
                TokenLimit = Math.Max(perPeriod, maxBatch),
                TokensPerPeriod = perPeriod,
                ReplenishmentPeriod = TimeSpan.FromSeconds(perPeriod / rowsPerSecond),
                QueueLimit = int.MaxValue,
                QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
                AutoReplenishment = true,
            });
        }

        /// <summary>Why a failed batch is worth another try (a pause reason), or null.</summary>
        private static string? Retryable(Exception ex, CancellationToken cancellationToken) => ex switch
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

        private static TimeSpan Backoff(int attempt) => TimeSpan.FromMilliseconds(Math.Min(5000, 100 * Math.Pow(2, Math.Min(attempt - 1, 6))));

        /// <summary>The next batch size: toward the target duration, at most doubling or halving per batch.</summary>
        private void Adapt(TimeSpan took)
        {
            var ratio = Math.Clamp(_options.TargetBatchDuration.TotalMilliseconds / Math.Max(1, took.TotalMilliseconds), 0.5, 2.0);
            _batchSize = Math.Clamp((int)Math.Round(_batchSize * ratio), _options.MinBatchSize, EffectiveMax);
        }

        private async Task<string?> PauseReasonAsync(CancellationToken cancellationToken)
        {
            if (_requested == BackfillTable.RequestPause)
            {
                return BackfillTable.Reasons.Requested;
            }

            if (_options.Window is { } window && !window.Contains(DateTimeOffset.UtcNow))
            {
                return BackfillTable.Reasons.Window;
            }

            if (_options.MaxReplicaLag is { } bound && _options.ReplicaHealth is { } health)
            {
                string? behind = null;
                foreach (var replica in health())
                {
                    if (replica.Health.Lag is not { } lag)
                    {
                        // Reachable and behind, but by how long is not known yet (no commit replayed since it started):
                        // wait. Unreachable (no position either): a dead replica must not stop the backfill for ever.
                        if (replica.Health.LagBytes is > 0)
                        {
                            behind = BackfillTable.Reasons.ReplicaLag;
                        }

                        continue;
                    }

                    PgDisciplineTelemetry.BackfillReplicaLag.Record(lag.TotalSeconds, new KeyValuePair<string, object?>("pgdiscipline.backfill", Name));
                    _maxLag = _maxLag is { } seen && seen >= lag ? seen : lag;
                    if (lag > bound)
                    {
                        behind = BackfillTable.Reasons.ReplicaLag;
                    }
                }

                if (behind is not null)
                {
                    return behind;
                }
            }

            if (_options.MaxActiveSessions is { } max)
            {
                await using var cmd = new NpgsqlCommand(
                    "select count(*) from pg_stat_activity where state = 'active' and backend_type = 'client backend' and pid <> pg_backend_pid()", _lease);
                if ((long)(await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))! > max)
                {
                    return BackfillTable.Reasons.PrimaryGuard;
                }
            }

            if (_options.PrimaryGuard is { } guard && await guard(_lease, cancellationToken).ConfigureAwait(false) is { } said)
            {
                return BackfillTable.Reasons.PrimaryGuard + ": " + said;
            }

            return null;
        }

        private async Task<BackfillState> StartAsync(CancellationToken cancellationToken)
        {
            var work = _runner._definition.Work;
            var statementHash = BackfillTrust.StatementHash(work.Identity);
            var definitionHash = BackfillTrust.DefinitionHash(_table.Table, _table.Column, work.Identity);
            await using (var insert = new NpgsqlCommand($"""
                insert into pgdiscipline.backfills (name, table_name, key_column, key_type, statement, rows_estimate, end_key, statement_sha256, definition_sha256)
                values ($1, $2, $3, $4, $5, $6, (select {_table.QuotedColumn}::text as bound from {_table.Table} order by {_table.QuotedColumn} desc limit 1), $7, $8)
                on conflict (name) do nothing
                """, _lease))
            {
                insert.Parameters.Add(new() { Value = Name });
                insert.Parameters.Add(new() { Value = _table.Table });
                insert.Parameters.Add(new() { Value = _table.Column });
                insert.Parameters.Add(new() { Value = _table.KeyType });
                insert.Parameters.Add(new() { Value = work.Identity });
                insert.Parameters.Add(new() { Value = (object?)_table.RowsEstimate ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint });
                insert.Parameters.Add(new() { Value = statementHash });
                insert.Parameters.Add(new() { Value = definitionHash });
                await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await using var select = new NpgsqlCommand("""
                select table_name, key_column, statement, state, requested, last_key, end_key, rows_done, rows_affected, batches,
                       batch_size, pauses::text, paused_seconds, run_seconds, max_lag_seconds, created_at, started_at,
                       statement_sha256 is not distinct from $2 and definition_sha256 is not distinct from $3
                from pgdiscipline.backfills where name = $1
                """, _lease) { Parameters = { new() { Value = Name }, new() { Value = statementHash }, new() { Value = definitionHash } } };
            string state;
            bool hashesCurrent;
            await using (var r = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                await r.ReadAsync(cancellationToken).ConfigureAwait(false);
                if (r.GetString(0) != _table.Table || r.GetString(1) != _table.Column || r.GetString(2) != work.Identity)
                {
                    throw new BackfillDefinitionException(Name, $"the name is already used by a backfill of {r.GetString(0)} by {r.GetString(1)} with a different statement: give this one another name");
                }

                state = r.GetString(3);
                _requested = r.IsDBNull(4) ? null : r.GetString(4);
                _lastKey = r.IsDBNull(5) ? null : r.GetString(5);
                _endKey = r.IsDBNull(6) ? null : r.GetString(6);
                _rowsDone = r.GetInt64(7);
                _rowsAffected = r.GetInt64(8);
                _batches = r.GetInt64(9);
                if (!r.IsDBNull(10))
                {
                    _batchSize = r.GetInt32(10);
                }

                foreach (var p in JsonSerializer.Deserialize(r.GetString(11), BackfillJsonContext.Default.DictionaryStringInt64) ?? [])
                {
                    _pauses[p.Key] = p.Value;
                }

                _pausedBefore = TimeSpan.FromSeconds(r.GetDouble(12));
                _runBefore = TimeSpan.FromSeconds(r.GetDouble(13));
                _maxLag = r.IsDBNull(14) ? null : TimeSpan.FromSeconds(r.GetDouble(14));
                _createdAt = r.GetFieldValue<DateTimeOffset>(15);
                _startedAt = r.IsDBNull(16) ? null : r.GetFieldValue<DateTimeOffset>(16);
                hashesCurrent = r.GetBoolean(17);
            }

            if (!hashesCurrent)
            {
                // Same statement as this runner's definition, but the row's hashes are missing (a row from before they were
                // kept) or were changed: this runner vouches for the statement it was given, so it records them again (and
                // the trigger records it as the definer).
                await using var rehash = new NpgsqlCommand("update pgdiscipline.backfills set statement_sha256 = $2, definition_sha256 = $3 where name = $1", _lease)
                {
                    Parameters = { new() { Value = Name }, new() { Value = statementHash }, new() { Value = definitionHash } },
                };
                await rehash.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            if (state == BackfillTable.StateDone)
            {
                return BackfillState.Done;
            }

            await using var claim = new NpgsqlCommand("""
                update pgdiscipline.backfills
                set state = 'running', pause_reason = null, owner = $2, error = null,
                    requested = case when requested = 'cancel' then null else requested end,
                    started_at = coalesce(started_at, now()), updated_at = now()
                where name = $1
                returning requested, started_at
                """, _lease) { Parameters = { new() { Value = Name }, new() { Value = _runner._owner } } };
            await using (var r = await claim.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                await r.ReadAsync(cancellationToken).ConfigureAwait(false);
                _requested = r.IsDBNull(0) ? null : r.GetString(0);
                _startedAt = r.GetFieldValue<DateTimeOffset>(1);
            }

            Publish(BackfillState.Running);
            return BackfillState.Running;
        }

        private async Task<(string? Lower, string? Upper, long Count)> BoundsAsync(CancellationToken cancellationToken)
        {
            if (_endKey is null)
            {
                return (null, null, 0); // the table was empty when the backfill was defined
            }

            await using var cmd = new NpgsqlCommand(_lastKey is null ? _boundsFirst : _boundsNext, _lease)
            {
                Parameters =
                {
                    new() { Value = (object?)_lastKey ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text },
                    new() { Value = _endKey, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text },
                    new() { Value = (long)_batchSize },
                },
            };
            await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await r.ReadAsync(cancellationToken).ConfigureAwait(false);
            return (r.IsDBNull(0) ? null : r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1), r.GetInt64(2));
        }

        /// <summary>One batch: timeouts, the statement, the progress row (only while this runner owns it and the row is
        /// where this runner left it), commit — all or nothing.</summary>
        private async Task<long> BatchAsync(string lower, string upper, long count, CancellationToken cancellationToken)
        {
            await using var scope = await _runner._definition.Work.BeginAsync(_runner._primary, _table.KeyType, cancellationToken).ConfigureAwait(false);
            await using (var timeouts = new NpgsqlCommand("select set_config('lock_timeout', $1, true), set_config('statement_timeout', $2, true)", scope.Connection, scope.Transaction))
            {
                timeouts.Parameters.Add(new() { Value = Ms(_options.LockTimeout) });
                timeouts.Parameters.Add(new() { Value = Ms(_options.StatementTimeout) });
                await timeouts.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            var affected = await scope.RunAsync(lower, upper, cancellationToken).ConfigureAwait(false);
            await using (var progress = new NpgsqlCommand("""
                update pgdiscipline.backfills
                set last_key = $4, rows_done = rows_done + $5, rows_affected = rows_affected + $6, batches = batches + 1,
                    batch_size = $7, run_seconds = $8, paused_seconds = $9, max_lag_seconds = $10, state = 'running',
                    pause_reason = null, updated_at = now()
                where name = $1 and owner = $2 and last_key is not distinct from $3
                returning requested
                """, scope.Connection, scope.Transaction))
            {
                progress.Parameters.Add(new() { Value = Name });
                progress.Parameters.Add(new() { Value = _runner._owner });
                progress.Parameters.Add(new() { Value = (object?)_lastKey ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
                progress.Parameters.Add(new() { Value = upper });
                progress.Parameters.Add(new() { Value = count });
                progress.Parameters.Add(new() { Value = affected });
                progress.Parameters.Add(new() { Value = _batchSize });
                progress.Parameters.Add(new() { Value = (_runBefore + _clock.Elapsed).TotalSeconds });
                progress.Parameters.Add(new() { Value = PausedTotal.TotalSeconds });
                progress.Parameters.Add(new() { Value = (object?)_maxLag?.TotalSeconds ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Double });
                await using var r = await progress.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                if (!await r.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    // Another runner took it over (this one lost its lock): nothing of this batch commits.
                    throw new BackfillLeaseException(Name, null);
                }

                _requested = r.IsDBNull(0) ? null : r.GetString(0);
            }

            await scope.CommitAsync(cancellationToken).ConfigureAwait(false);
            return affected;
        }

        private static string Ms(TimeSpan t) => ((long)Math.Ceiling(t.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture) + "ms";

        /// <summary>Time paused, over every run (the pause in progress included).</summary>
        private TimeSpan PausedTotal => _pausedBefore + _pausedThisRun + (_pauseReason is not null ? Stopwatch.GetElapsedTime(_pausedAt) : TimeSpan.Zero);

        private async Task PauseAsync(string reason, CancellationToken cancellationToken)
        {
            if (_pauseReason == reason)
            {
                return;
            }

            if (_pauseReason is null)
            {
                _pausedAt = Stopwatch.GetTimestamp();
                Log.BackfillPaused(_runner._logger, Name, reason);
            }

            _pauseReason = reason;
            await CountPauseAsync(reason, cancellationToken, state: BackfillTable.StatePaused).ConfigureAwait(false);
            Publish(BackfillState.Paused);
        }

        private void EndPause()
        {
            if (_pauseReason is not null)
            {
                _pausedThisRun += Stopwatch.GetElapsedTime(_pausedAt);
                _pauseReason = null;
            }
        }

        private async Task ResumeAsync(CancellationToken cancellationToken)
        {
            var paused = Stopwatch.GetElapsedTime(_pausedAt);
            EndPause();
            Log.BackfillResumed(_runner._logger, Name, paused);
            await using var cmd = new NpgsqlCommand(
                "update pgdiscipline.backfills set state = 'running', pause_reason = null, paused_seconds = $3, updated_at = now() where name = $1 and owner = $2", _lease)
            {
                Parameters = { new() { Value = Name }, new() { Value = _runner._owner }, new() { Value = PausedTotal.TotalSeconds } },
            };
            await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            Publish(BackfillState.Running);
        }

        /// <summary>Counts a pause by reason (row, metric); with <paramref name="state"/>, also marks the row paused.</summary>
        private async Task CountPauseAsync(string reason, CancellationToken cancellationToken, string? state = null)
        {
            var key = reason.Split(':', 2)[0];
            _pauses[key] = _pauses.GetValueOrDefault(key) + 1;
            PgDisciplineTelemetry.BackfillPauses.Add(1, new KeyValuePair<string, object?>("pgdiscipline.backfill", Name), new KeyValuePair<string, object?>("pgdiscipline.reason", key));
            await using var cmd = new NpgsqlCommand("""
                update pgdiscipline.backfills
                set pauses = jsonb_set(pauses, array[$3], to_jsonb(coalesce((pauses ->> $3)::bigint, 0) + 1)),
                    state = coalesce($4, state), pause_reason = case when $4 is null then pause_reason else $5 end, updated_at = now()
                where name = $1 and owner = $2
                returning requested
                """, _lease)
            {
                Parameters =
                {
                    new() { Value = Name },
                    new() { Value = _runner._owner },
                    new() { Value = key },
                    new() { Value = (object?)state ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text },
                    new() { Value = reason },
                },
            };
            await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (!await r.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                throw new BackfillLeaseException(Name, null);
            }

            _requested = r.IsDBNull(0) ? null : r.GetString(0);
        }

        private async Task<string?> PollRequestAsync(CancellationToken cancellationToken)
        {
            await using var cmd = new NpgsqlCommand("select requested from pgdiscipline.backfills where name = $1", _lease) { Parameters = { new() { Value = Name } } };
            return await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string;
        }

        private async Task<BackfillProgress> FinishAsync(BackfillState state, string? error, bool swallow = false)
        {
            EndPause();
            var text = state switch
            {
                BackfillState.Done => BackfillTable.StateDone,
                BackfillState.Cancelled => BackfillTable.StateCancelled,
                BackfillState.Failed => BackfillTable.StateFailed,
                _ => BackfillTable.StateStopped,
            };
            try
            {
                await using var cmd = new NpgsqlCommand("""
                    update pgdiscipline.backfills
                    set state = $3, pause_reason = null, error = $4, run_seconds = $5, paused_seconds = $6, max_lag_seconds = $7,
                        requested = case when $3 = 'cancelled' then null else requested end,
                        finished_at = case when $3 = 'done' then now() else finished_at end, updated_at = now()
                    where name = $1 and owner = $2
                    """, _lease)
                {
                    Parameters =
                    {
                        new() { Value = Name },
                        new() { Value = _runner._owner },
                        new() { Value = text },
                        new() { Value = (object?)error ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text },
                        new() { Value = (_runBefore + _clock.Elapsed).TotalSeconds },
                        new() { Value = PausedTotal.TotalSeconds },
                        new() { Value = (object?)_maxLag?.TotalSeconds ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Double },
                    },
                };
                await cmd.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (NpgsqlException) when (swallow)
            {
                // Finishing after a failure: the row keeps its last committed progress.
            }

            Log.BackfillFinished(_runner._logger, Name, text, _rowsDone);
            _options.Runtime?.Statistics?.RecordBackfill(Report(state));
            return Report(state);
        }

        private BackfillProgress Report(BackfillState state) => new()
        {
            Name = Name,
            Table = _table.Table,
            KeyColumn = _table.Column,
            State = state,
            PauseReason = state == BackfillState.Paused ? _pauseReason : null,
            Requested = _requested,
            RowsDone = _rowsDone,
            RowsAffected = _rowsAffected,
            RowsEstimate = _table.RowsEstimate,
            Batches = _batches,
            BatchSize = _batchSize,
            Pauses = new Dictionary<string, long>(_pauses, StringComparer.Ordinal),
            Paused = PausedTotal,
            Elapsed = _runBefore + _clock.Elapsed,
            MaxReplicaLagSeen = _maxLag,
            Owner = _runner._owner,
            RunnerAlive = state is BackfillState.Running or BackfillState.Paused,
            CreatedAt = _createdAt,
            StartedAt = _startedAt,
            UpdatedAt = DateTimeOffset.UtcNow,
            FinishedAt = state == BackfillState.Done ? DateTimeOffset.UtcNow : null,
        };

        private void Publish(BackfillState state)
        {
            if (_progress is null && _options.Runtime?.Statistics is null)
            {
                return;
            }

            var report = Report(state);
            _options.Runtime?.Statistics?.RecordBackfill(report);
            _progress?.Report(report);
        }
    }
}

/// <summary>What <see cref="BackfillRunner.RequestAsync"/> asks of a running backfill.</summary>
public enum BackfillRequest
{
    /// <summary>Wait between batches until resumed.</summary>
    Pause,

    /// <summary>Clear a pause (or cancel) request.</summary>
    Resume,

    /// <summary>Stop after the batch in flight (state cancelled; running it again continues).</summary>
    Cancel,
}
