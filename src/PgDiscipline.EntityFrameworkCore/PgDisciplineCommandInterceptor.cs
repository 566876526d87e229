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

    public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
    {
        Prepare(command, CancellationToken.None, sync: true).GetAwaiter().GetResult();
        return result;
    }

    public override async ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        await Prepare(command, cancellationToken, sync: false).ConfigureAwait(false);
        return result;
    }

    public override DbDataReader ReaderExecuted(DbCommand command, CommandExecutedEventData eventData, DbDataReader result)
    {
        if (IsPrefixed(command))
        {
            result.NextResult(); // past the set_config row
        }

        return result;
    }

    public override async ValueTask<DbDataReader> ReaderExecutedAsync(DbCommand command, CommandExecutedEventData eventData, DbDataReader result, CancellationToken cancellationToken = default)
    {
        if (IsPrefixed(command))
        {
            await result.NextResultAsync(cancellationToken).ConfigureAwait(false);
        }

        return result;
    }

    public override InterceptionResult<object> ScalarExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<object> result)
    {
        Prepare(command, CancellationToken.None, sync: true).GetAwaiter().GetResult();
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
        await Prepare(command, cancellationToken, sync: false).ConfigureAwait(false);
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
        Prepare(command, CancellationToken.None, sync: true).GetAwaiter().GetResult();
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
        await Prepare(command, cancellationToken, sync: false).ConfigureAwait(false);
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
        Release(command);
        return result;
    }

    public override ValueTask<int> NonQueryExecutedAsync(DbCommand command, CommandExecutedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        Release(command);
        return ValueTask.FromResult(result);
    }

    public override object? ScalarExecuted(DbCommand command, CommandExecutedEventData eventData, object? result)
    {
        Release(command);
        return result;
    }

    public override ValueTask<object?> ScalarExecutedAsync(DbCommand command, CommandExecutedEventData eventData, object? result, CancellationToken cancellationToken = default)
    {
        Release(command);
        return ValueTask.FromResult(result);
    }

    public override InterceptionResult DataReaderDisposing(DbCommand command, DataReaderDisposingEventData eventData, InterceptionResult result)
    {
        Release(command);
        return result;
    }

    public override void CommandFailed(DbCommand command, CommandErrorEventData eventData) => Release(command);

    public override Task CommandFailedAsync(DbCommand command, CommandErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        Release(command);
        return Task.CompletedTask;
    }

    public override void CommandCanceled(DbCommand command, CommandEndEventData eventData) => Release(command);

    public override Task CommandCanceledAsync(DbCommand command, CommandEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Release(command);
        return Task.CompletedTask;
    }

    private static bool IsPrefixed(DbCommand command) => command.CommandText.StartsWith(TimeoutSql.Marker, StringComparison.Ordinal);

    // Npgsql counts only INSERT/UPDATE/DELETE/MERGE/COPY rows in RecordsAffected, so the set_config SELECT adds nothing
    // (checked by PgBouncerTimeoutTests.ExecuteUpdate_through_the_prefix_reports_rows_affected).
    private static int RowsAffected(DbDataReader reader) => reader.RecordsAffected;

    /// <summary>Rules first (a blocked command never reaches the server), then timeouts.</summary>
    private ValueTask Prepare(DbCommand command, CancellationToken cancellationToken, bool sync)
    {
        var text = command.CommandText;
        var info = runtime.Cache.Get(text);
        var plan = runtime.GetPlan(info, text);

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

        return plan.Rules.Length == 0 ? ValueTask.CompletedTask : ApplyRules(command, plan, cancellationToken, sync);
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
