using System.Data;
using System.Data.Common;
using System.Runtime.CompilerServices;
using System.Threading.RateLimiting;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace PgDiscipline;

/// <summary>Applies query rules and timeouts to every command EF Core executes.</summary>
internal sealed class PgDisciplineCommandInterceptor(PgDisciplineRuntime runtime) : DbCommandInterceptor
{
    private readonly ConditionalWeakTable<DbCommand, LeaseHolder> _leases = new();

    public PgDisciplineRuntime Runtime => runtime;

    public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
    {
        var plan = Evaluate(command, eventData, CancellationToken.None, sync: true).GetAwaiter().GetResult();
        if (runtime.Router is not null)
        {
            var reader = RouteRead(command, eventData, plan, sync: true, CancellationToken.None).GetAwaiter().GetResult();
            if (reader is not null)
            {
                return InterceptionResult<DbDataReader>.SuppressWithResult(reader);
            }
        }

        ApplyPrimary(command, eventData, plan);
        runtime.EnsureOpen(command.Connection, sync: true, CancellationToken.None).GetAwaiter().GetResult();
        return result;
    }

    public override async ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        var plan = await Evaluate(command, eventData, cancellationToken, sync: false).ConfigureAwait(false);
        if (runtime.Router is not null)
        {
            var reader = await RouteRead(command, eventData, plan, sync: false, cancellationToken).ConfigureAwait(false);
            if (reader is not null)
            {
                return InterceptionResult<DbDataReader>.SuppressWithResult(reader);
            }
        }

        ApplyPrimary(command, eventData, plan);
        await runtime.EnsureOpen(command.Connection, sync: false, cancellationToken).ConfigureAwait(false);
        return result;
    }

    /// <summary>Runs a read on a replica when it may and should go there; null means: run it on the primary.</summary>
    private async ValueTask<DbDataReader?> RouteRead(DbCommand command, CommandEventData eventData, CommandPlan plan, bool sync, CancellationToken cancellationToken)
    {
        var router = runtime.Router!;
        var options = runtime.Options;
        // Migration commands (EF Core's history-table reads included) always run on the primary.
        if (!plan.IsReplicaSafe || command.Transaction is not null || System.Transactions.Transaction.Current is not null
            || options.Consistency == ReadConsistency.Strong || eventData.CommandSource == CommandSource.Migrations)
        {
            return null;
        }

        var intent = plan.Intent != ReadIntent.None ? plan.Intent : PgDisciplineRouting.AmbientIntent;
        if (intent == ReadIntent.Primary)
        {
            return null;
        }

        if (intent == ReadIntent.None && plan.RouteTo is null && options.DefaultRead == ReadRouting.Primary)
        {
            return null;
        }

        var pool = router.PoolFor(plan, PgDisciplineRouting.AmbientPriority);
        if (pool is null)
        {
            return null;
        }

        router.Monitor.EnsureStarted();
        var required = default(Lsn);
        if (options.Consistency == ReadConsistency.Session && eventData.Context is { } context)
        {
            var session = router.Session(context);
            if (session.HasUncapturedWrite)
            {
                try
                {
                    await session.EnsureCapturedAsync(sync, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ReplicaRouter.IsConnectionLevel(ex) || ex is InvalidOperationException)
                {
                    ReplicaRouter.FellBack(plan, FallbackReason.SessionUnknown);
                    return null; // freshness unknown: the primary answers
                }
            }

            required = session.RequiredPosition;
        }

        var reader = await router.ExecuteAsync(command, plan, pool, required, sync, cancellationToken).ConfigureAwait(false);
        if (reader is null && !options.FallbackToPrimary && required == default)
        {
            throw new ReplicaUnavailableException(plan.Fingerprint, pool);
        }

        return reader;
    }

    public override DbDataReader ReaderExecuted(DbCommand command, CommandExecutedEventData eventData, DbDataReader result)
    {
        if (IsPrefixed(command))
        {
            result.NextResult(); // past the set_config row; a statement error surfaces here (then CommandFailed counts it)
        }

        Executed(command, eventData, rows: 0);
        return result;
    }

    public override async ValueTask<DbDataReader> ReaderExecutedAsync(DbCommand command, CommandExecutedEventData eventData, DbDataReader result, CancellationToken cancellationToken = default)
    {
        if (IsPrefixed(command))
        {
            await result.NextResultAsync(cancellationToken).ConfigureAwait(false);
        }

        Executed(command, eventData, rows: 0);
        return result;
    }

    public override InterceptionResult<object> ScalarExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<object> result)
    {
        Prepare(command, eventData, CancellationToken.None, sync: true).GetAwaiter().GetResult();
        if (!IsPrefixed(command))
        {
            return result;
        }

        using var reader = command.ExecuteReader();
        reader.NextResult();
        return InterceptionResult<object>.SuppressWithResult(reader.Read() ? reader.GetValue(0) : null!);
    }

    public override async ValueTask<InterceptionResult<object>> ScalarExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<object> result, CancellationToken cancellationToken = default)
    {
        await Prepare(command, eventData, cancellationToken, sync: false).ConfigureAwait(false);
        if (!IsPrefixed(command))
        {
            return result;
        }

        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
            var value = await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? reader.GetValue(0) : null!;
            return InterceptionResult<object>.SuppressWithResult(value);
        }
    }

    public override InterceptionResult<int> NonQueryExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<int> result)
    {
        if (IsGuardedMigration(eventData))
        {
            runtime.EnsureOpen(command.Connection, sync: true, CancellationToken.None).GetAwaiter().GetResult();
            return MigrationGuard.Prepare(runtime, command)
                ? InterceptionResult<int>.SuppressWithResult(MigrationGuard.ExecuteWithRetryAsync(runtime, command, sync: true, CancellationToken.None).GetAwaiter().GetResult())
                : result;
        }

        Prepare(command, eventData, CancellationToken.None, sync: true).GetAwaiter().GetResult();
        if (!IsPrefixed(command))
        {
            return result;
        }

        using var reader = command.ExecuteReader();
        while (reader.NextResult())
        {
        }

        return InterceptionResult<int>.SuppressWithResult(RowsAffected(reader));
    }

    public override async ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        if (IsGuardedMigration(eventData))
        {
            await runtime.EnsureOpen(command.Connection, sync: false, cancellationToken).ConfigureAwait(false);
            return MigrationGuard.Prepare(runtime, command)
                ? InterceptionResult<int>.SuppressWithResult(await MigrationGuard.ExecuteWithRetryAsync(runtime, command, sync: false, cancellationToken).ConfigureAwait(false))
                : result;
        }

        await Prepare(command, eventData, cancellationToken, sync: false).ConfigureAwait(false);
        if (!IsPrefixed(command))
        {
            return result;
        }

        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.NextResultAsync(cancellationToken).ConfigureAwait(false))
            {
            }

            return InterceptionResult<int>.SuppressWithResult(RowsAffected(reader));
        }
    }

    public override int NonQueryExecuted(DbCommand command, CommandExecutedEventData eventData, int result)
    {
        Executed(command, eventData, Math.Max(result, 0));
        Release(command);
        return result;
    }

    public override ValueTask<int> NonQueryExecutedAsync(DbCommand command, CommandExecutedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        Executed(command, eventData, Math.Max(result, 0));
        Release(command);
        return ValueTask.FromResult(result);
    }

    public override object? ScalarExecuted(DbCommand command, CommandExecutedEventData eventData, object? result)
    {
        Executed(command, eventData, result is null or DBNull ? 0 : 1);
        Release(command);
        return result;
    }

    public override ValueTask<object?> ScalarExecutedAsync(DbCommand command, CommandExecutedEventData eventData, object? result, CancellationToken cancellationToken = default)
    {
        Executed(command, eventData, result is null or DBNull ? 0 : 1);
        Release(command);
        return ValueTask.FromResult(result);
    }

    public override InterceptionResult DataReaderDisposing(DbCommand command, DataReaderDisposingEventData eventData, InterceptionResult result)
    {
        // Rows are counted while the reader is still open: at DataReaderClosing, or here when it was never closed.
        if (!eventData.DataReader.IsClosed)
        {
            CountRows(command, eventData.DataReader, eventData.ReadCount);
        }

        runtime.Router?.Completed(command);
        Release(command);
        return result;
    }

    public override void CommandFailed(DbCommand command, CommandErrorEventData eventData)
    {
        Failed(command, eventData, eventData.Exception);
        Release(command);
    }

    public override Task CommandFailedAsync(DbCommand command, CommandErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        Failed(command, eventData, eventData.Exception);
        Release(command);
        return Task.CompletedTask;
    }

    public override void CommandCanceled(DbCommand command, CommandEndEventData eventData)
    {
        Failed(command, eventData, null);
        Release(command);
    }

    public override Task CommandCanceledAsync(DbCommand command, CommandEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Failed(command, eventData, null);
        Release(command);
        return Task.CompletedTask;
    }

    /// <summary>Statistics and span of a command that completed.</summary>
    private void Executed(DbCommand command, CommandEndEventData eventData, long rows)
    {
        if (runtime.Statistics is not null && runtime.PlanOfExecuted(command.CommandText)?.Stats is { } stats)
        {
            stats.Completed(eventData.Duration.Ticks / TimeSpan.TicksPerMicrosecond);
            if (rows > 0)
            {
                stats.AddRows(rows);
            }
        }

        PgDisciplineTelemetry.EndCommand(command, null);
    }

    /// <summary>Statistics and span of a command that failed or was cancelled (blocked/limited ones are counted where they
    /// are refused, and never reached the server).</summary>
    private void Failed(DbCommand command, CommandEndEventData eventData, Exception? exception)
    {
        if (exception is QueryBlockedException or QueryRateLimitedException)
        {
            return;
        }

        var code = exception is null ? "canceled" : PgDisciplineTelemetry.ErrorCode(exception);
        if (runtime.Statistics is not null && runtime.PlanOfExecuted(command.CommandText)?.Stats is { } stats)
        {
            stats.Completed(eventData.Duration.Ticks / TimeSpan.TicksPerMicrosecond);
            stats.Failed(code);
        }

        PgDisciplineTelemetry.EndCommand(command, code);
    }

    public override InterceptionResult DataReaderClosing(DbCommand command, DataReaderClosingEventData eventData, InterceptionResult result)
    {
        CountRows(command, eventData.DataReader, eventData.ReadCount);
        return result;
    }

    public override ValueTask<InterceptionResult> DataReaderClosingAsync(DbCommand command, DataReaderClosingEventData eventData, InterceptionResult result)
    {
        CountRows(command, eventData.DataReader, eventData.ReadCount);
        return ValueTask.FromResult(result);
    }

    private void CountRows(DbCommand command, DbDataReader reader, int readCount)
    {
        if (readCount > 0 && runtime.Statistics is not null && runtime.PlanOfExecuted(command.CommandText)?.Stats is { } stats)
        {
            stats.AddRows(RowsRead(reader, readCount));
        }
    }

    /// <summary>Rows the server returned (from each statement's completion tag, without the timeout prefix); when the
    /// reader was not read to the end, the rows the application read.</summary>
    private static long RowsRead(DbDataReader dataReader, int readCount)
    {
        long rows = 0;
        if (dataReader is Npgsql.NpgsqlDataReader reader)
        {
            // NpgsqlDataReader.Statements is obsolete (the DbBatch API replaces it) but is the only public way to read the
            // CommandComplete row count of a command-based reader; re-check when Npgsql is upgraded.
#pragma warning disable CS0618
            var statements = reader.Statements;
#pragma warning restore CS0618
            foreach (var statement in statements)
            {
                if (!statement.CommandText.StartsWith(TimeoutSql.Marker, StringComparison.Ordinal))
                {
                    rows += (long)statement.Rows;
                }
            }
        }

        // Not read to the end (no completion tag yet): EF Core's count of Read() calls, each of which returned a row.
        return rows > 0 ? rows : readCount;
    }

    private bool IsGuardedMigration(CommandEventData eventData)
        => eventData.CommandSource == CommandSource.Migrations && runtime.Options.Migrations.Enabled;

    private static bool IsPrefixed(DbCommand command) => command.CommandText.StartsWith(TimeoutSql.Marker, StringComparison.Ordinal);

    // Npgsql counts only INSERT/UPDATE/DELETE/MERGE/COPY rows in RecordsAffected, so the set_config SELECT adds nothing
    // (checked by PgBouncerTimeoutTests.ExecuteUpdate_through_the_prefix_reports_rows_affected).
    private static int RowsAffected(DbDataReader reader) => reader.RecordsAffected;

    /// <summary>Rules first (a blocked command never reaches the server), then timeouts, then the primary connection.</summary>
    private async ValueTask Prepare(DbCommand command, CommandEventData eventData, CancellationToken cancellationToken, bool sync)
    {
        var plan = await Evaluate(command, eventData, cancellationToken, sync).ConfigureAwait(false);
        ApplyPrimary(command, eventData, plan);
        await runtime.EnsureOpen(command.Connection, sync, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The plan for this command text, after its rules let it through.</summary>
    private ValueTask<CommandPlan> Evaluate(DbCommand command, CommandEventData eventData, CancellationToken cancellationToken, bool sync)
    {
        var text = command.CommandText;
        var plan = runtime.GetPlan(runtime.Cache.Get(text), text, eventData.CommandSource);
        plan.CallSite?.Increment();
        PgDisciplineTelemetry.StartCommand(command, plan);
        return plan.Rules.Length == 0 ? ValueTask.FromResult(plan) : ApplyRulesThen(command, plan, cancellationToken, sync);
    }

    private async ValueTask<CommandPlan> ApplyRulesThen(DbCommand command, CommandPlan plan, CancellationToken cancellationToken, bool sync)
    {
        await ApplyRules(command, plan, cancellationToken, sync).ConfigureAwait(false);
        return plan;
    }

    /// <summary>Timeouts for a command that runs on the primary, and read-your-writes bookkeeping.</summary>
    private void ApplyPrimary(DbCommand command, CommandEventData eventData, CommandPlan plan)
    {
        var inTransaction = command.Transaction is not null;
        var prefixed = inTransaction ? plan.PrefixedInsideTransaction : plan.PrefixedOutsideTransaction;
        if (prefixed is not null)
        {
            command.CommandText = prefixed;
        }

        if (plan.ClientTimeoutSeconds is { } seconds)
        {
            command.CommandTimeout = seconds;
        }

        plan.Stats?.RoutedTo(0);
        if (runtime.Router is { } router)
        {
            if (plan.IsReplicaSafe)
            {
                PgDisciplineTelemetry.Reads.Add(1, new KeyValuePair<string, object?>("pgdiscipline.target", "primary"));
            }
            else if (!inTransaction && eventData.Context is { } context && runtime.Options.Consistency == ReadConsistency.Session)
            {
                router.Session(context).MarkWrite();
            }
        }
    }

    private async ValueTask ApplyRules(DbCommand command, CommandPlan plan, CancellationToken cancellationToken, bool sync)
    {
        var now = DateTimeOffset.UtcNow;
        foreach (var rule in plan.Rules)
        {
            if (rule.IsExpired(now))
            {
                continue;
            }

            switch (rule.Action)
            {
                case QueryRuleAction.Block:
                    plan.Stats?.WasBlocked();
                    PgDisciplineTelemetry.EndCommand(command, "blocked");
                    PgDisciplineTelemetry.Blocked.Add(1, PgDisciplineTelemetry.RuleTags(rule.Id, plan.Fingerprint));
                    Log.QueryBlocked(runtime.Logger, plan.Fingerprint, rule.Id, rule.Reason);
                    throw new QueryBlockedException(plan.Fingerprint, rule.Id, rule.Reason);

                case QueryRuleAction.RateLimit or QueryRuleAction.Concurrency when rule.Limiter is { } limiter:
                    var lease = limiter.AttemptAcquire(1);
                    if (!lease.IsAcquired && rule.Rule.MaxQueueTime > TimeSpan.Zero)
                    {
                        lease.Dispose();
                        PgDisciplineTelemetry.Queued.Add(1, PgDisciplineTelemetry.RuleTags(rule.Id, plan.Fingerprint));
                        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                        timeout.CancelAfter(rule.Rule.MaxQueueTime);
                        try
                        {
                            var pending = limiter.AcquireAsync(1, timeout.Token);
                            lease = sync ? pending.AsTask().GetAwaiter().GetResult() : await pending.ConfigureAwait(false);
                        }
                        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                        {
                            lease = null;
                        }
                    }

                    if (lease is null || !lease.IsAcquired)
                    {
                        TimeSpan? retryAfter = lease is not null && lease.TryGetMetadata(MetadataName.RetryAfter, out var ra) ? ra : null;
                        lease?.Dispose();
                        plan.Stats?.WasRateLimited();
                        PgDisciplineTelemetry.EndCommand(command, "rate_limited");
                        PgDisciplineTelemetry.RateLimited.Add(1, PgDisciplineTelemetry.RuleTags(rule.Id, plan.Fingerprint));
                        Log.QueryRateLimited(runtime.Logger, plan.Fingerprint, rule.Id);
                        throw new QueryRateLimitedException(plan.Fingerprint, rule.Id, rule.Reason, retryAfter);
                    }

                    if (rule.Action == QueryRuleAction.Concurrency)
                    {
                        _leases.GetValue(command, static _ => new LeaseHolder()).Add(lease);
                    }
                    else
                    {
                        lease.Dispose();
                    }

                    break;
            }
        }
    }

    private void Release(DbCommand command)
    {
        if (_leases.TryGetValue(command, out var holder))
        {
            holder.ReleaseAll();
            _leases.Remove(command);
        }
    }

    private sealed class LeaseHolder
    {
        private readonly List<RateLimitLease> _leases = new(1);

        public void Add(RateLimitLease lease)
        {
            lock (_leases)
            {
                _leases.Add(lease);
            }
        }

        public void ReleaseAll()
        {
            lock (_leases)
            {
                foreach (var lease in _leases)
                {
                    lease.Dispose();
                }

                _leases.Clear();
            }
        }
    }
}
