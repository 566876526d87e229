using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Npgsql;

namespace PgDiscipline.Interception;

/// <summary>
/// Dispatches every command EF Core executes: plan (<see cref="CommandPlanner"/>), rules (<see cref="RuleEnforcer"/>),
/// then either a replica (<see cref="ReplicaRouter"/>) or the primary with its timeouts (<see cref="PrimaryConnection"/>);
/// migration commands go through the <see cref="MigrationGuard"/>; outcomes go to the <see cref="StatisticsRecorder"/>.
/// EF Core's synchronous APIs run the same code with <c>sync: true</c>, which completes without awaiting.
/// </summary>
internal sealed class PgDisciplineCommandInterceptor(RuntimeReference reference) : DbCommandInterceptor
{
    public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
        => ReaderExecutingCore(command, eventData, result, sync: true, CancellationToken.None).GetAwaiter().GetResult();

    public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        => ReaderExecutingCore(command, eventData, result, sync: false, cancellationToken);

    private async ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingCore(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, bool sync, CancellationToken cancellationToken)
    {
        if (reference.Get(eventData.Context) is not { } runtime)
        {
            return result;
        }

        var plan = await BeginAsync(runtime, command, eventData, sync, cancellationToken).ConfigureAwait(false);
        if (plan.Coalesce
            && await CoalescedRead.TryReadAsync(runtime, command, eventData, plan, sync, cancellationToken).ConfigureAwait(false) is { } coalesced)
        {
            return InterceptionResult<DbDataReader>.SuppressWithResult(coalesced);
        }

        if (runtime.Router is { } router
            && await router.TryReadAsync(command, eventData, plan, sync, cancellationToken).ConfigureAwait(false) is { } reader)
        {
            return InterceptionResult<DbDataReader>.SuppressWithResult(reader);
        }

        System.Runtime.ExceptionServices.ExceptionDispatchInfo? unreachable = null;
        try
        {
            await OnPrimaryAsync(runtime, command, eventData, plan, sync, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (runtime.Router is not null && ReplicaRouter.IsConnectionLevel(ex))
        {
            unreachable = System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(ex);
        }

        if (unreachable is not null)
        {
            // The primary is down (a failover in progress): a read that may run on a replica waits for one rather than fail.
            var (rescued, waited) = await runtime.Router!.ReadWhilePrimaryUnreachableAsync(command, eventData, plan, sync, cancellationToken).ConfigureAwait(false);
            if (rescued is not null)
            {
                return InterceptionResult<DbDataReader>.SuppressWithResult(rescued);
            }

            if (!waited)
            {
                unreachable.Throw();
            }

            // No replica could take it within MaxReplicaLag (during a failover they may be re-pointed to the new primary):
            // by now the standby may have been promoted, and a multi-host string's cached "standby" state for it has had
            // time to expire. Open the primary once more; its first error is what the caller sees if this fails too.
            try
            {
                await runtime.Primary.EnsureOpen(command.Connection, sync, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ReplicaRouter.IsConnectionLevel(ex))
            {
                unreachable.Throw();
            }
        }

        if (runtime.Router?.CaptureSessionFor(command, eventData, plan) is var (session, state)
            && await runtime.Router.WriteCapture.ExecuteReaderAsync((NpgsqlCommand)command, plan, session, state, sync, cancellationToken).ConfigureAwait(false) is { } withCapture)
        {
            return InterceptionResult<DbDataReader>.SuppressWithResult(withCapture);
        }

        return result;
    }

    public override DbDataReader ReaderExecuted(DbCommand command, CommandExecutedEventData eventData, DbDataReader result)
    {
        if (reference.Get(eventData.Context) is not { } runtime)
        {
            return result;
        }

        if (PrimaryConnection.IsPrefixed(command))
        {
            result.NextResult(); // past the set_config row; a statement error surfaces here (then CommandFailed counts it)
        }

        runtime.Recorder.Executed(command, eventData.Duration, rows: 0);
        return result;
    }

    public override async ValueTask<DbDataReader> ReaderExecutedAsync(DbCommand command, CommandExecutedEventData eventData, DbDataReader result, CancellationToken cancellationToken = default)
    {
        if (reference.Get(eventData.Context) is not { } runtime)
        {
            return result;
        }

        if (PrimaryConnection.IsPrefixed(command))
        {
            await result.NextResultAsync(cancellationToken).ConfigureAwait(false);
        }

        runtime.Recorder.Executed(command, eventData.Duration, rows: 0);
        return result;
    }

    public override InterceptionResult<object> ScalarExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<object> result)
    {
        if (reference.Get(eventData.Context) is not { } runtime)
        {
            return result;
        }

        PrepareAsync(runtime, command, eventData, sync: true, CancellationToken.None).GetAwaiter().GetResult();
        if (!PrimaryConnection.IsPrefixed(command))
        {
            return result;
        }

        using var reader = command.ExecuteReader();
        reader.NextResult();
        return InterceptionResult<object>.SuppressWithResult(reader.Read() ? reader.GetValue(0) : null!);
    }

    public override async ValueTask<InterceptionResult<object>> ScalarExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<object> result, CancellationToken cancellationToken = default)
    {
        if (reference.Get(eventData.Context) is not { } runtime)
        {
            return result;
        }

        await PrepareAsync(runtime, command, eventData, sync: false, cancellationToken).ConfigureAwait(false);
        if (!PrimaryConnection.IsPrefixed(command))
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
        if (reference.Get(eventData.Context) is not { } runtime)
        {
            return result;
        }

        if (IsGuardedMigration(runtime, eventData))
        {
            runtime.Primary.EnsureOpen(command.Connection, sync: true, CancellationToken.None).GetAwaiter().GetResult();
            return MigrationGuard.Prepare(runtime, command)
                ? InterceptionResult<int>.SuppressWithResult(MigrationGuard.ExecuteWithRetryAsync(runtime, command, sync: true, CancellationToken.None).GetAwaiter().GetResult())
                : result;
        }

        var plan = PrepareAsync(runtime, command, eventData, sync: true, CancellationToken.None).GetAwaiter().GetResult();
        if (runtime.Router?.CaptureSessionFor(command, eventData, plan) is var (session, state)
            && runtime.Router.WriteCapture.ExecuteNonQueryAsync((NpgsqlCommand)command, plan, session, state, sync: true, CancellationToken.None).GetAwaiter().GetResult() is { } rows)
        {
            return InterceptionResult<int>.SuppressWithResult(rows);
        }

        if (!PrimaryConnection.IsPrefixed(command))
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
        if (reference.Get(eventData.Context) is not { } runtime)
        {
            return result;
        }

        if (IsGuardedMigration(runtime, eventData))
        {
            await runtime.Primary.EnsureOpen(command.Connection, sync: false, cancellationToken).ConfigureAwait(false);
            return MigrationGuard.Prepare(runtime, command)
                ? InterceptionResult<int>.SuppressWithResult(await MigrationGuard.ExecuteWithRetryAsync(runtime, command, sync: false, cancellationToken).ConfigureAwait(false))
                : result;
        }

        var plan = await PrepareAsync(runtime, command, eventData, sync: false, cancellationToken).ConfigureAwait(false);
        if (runtime.Router?.CaptureSessionFor(command, eventData, plan) is var (session, state)
            && await runtime.Router.WriteCapture.ExecuteNonQueryAsync((NpgsqlCommand)command, plan, session, state, sync: false, cancellationToken).ConfigureAwait(false) is { } rows)
        {
            return InterceptionResult<int>.SuppressWithResult(rows);
        }

        if (!PrimaryConnection.IsPrefixed(command))
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
        if (reference.Get(eventData.Context) is not { } runtime)
        {
            return result;
        }

        End(runtime, command, eventData, Math.Max(result, 0));
        return result;
    }

    public override ValueTask<int> NonQueryExecutedAsync(DbCommand command, CommandExecutedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        if (reference.Get(eventData.Context) is not { } runtime)
        {
            return ValueTask.FromResult(result);
        }

        End(runtime, command, eventData, Math.Max(result, 0));
        return ValueTask.FromResult(result);
    }

    public override object? ScalarExecuted(DbCommand command, CommandExecutedEventData eventData, object? result)
    {
        if (reference.Get(eventData.Context) is not { } runtime)
        {
            return result;
        }

        End(runtime, command, eventData, result is null or DBNull ? 0 : 1);
        return result;
    }

    public override ValueTask<object?> ScalarExecutedAsync(DbCommand command, CommandExecutedEventData eventData, object? result, CancellationToken cancellationToken = default)
    {
        if (reference.Get(eventData.Context) is not { } runtime)
        {
            return ValueTask.FromResult(result);
        }

        End(runtime, command, eventData, result is null or DBNull ? 0 : 1);
        return ValueTask.FromResult(result);
    }

    public override InterceptionResult DataReaderClosing(DbCommand command, DataReaderClosingEventData eventData, InterceptionResult result)
    {
        if (reference.Get(eventData.Context) is not { } runtime)
        {
            return result;
        }

        runtime.Recorder.ReaderClosing(command, eventData.DataReader, eventData.ReadCount);
        return result;
    }

    public override ValueTask<InterceptionResult> DataReaderClosingAsync(DbCommand command, DataReaderClosingEventData eventData, InterceptionResult result)
    {
        if (reference.Get(eventData.Context) is not { } runtime)
        {
            return ValueTask.FromResult(result);
        }

        runtime.Recorder.ReaderClosing(command, eventData.DataReader, eventData.ReadCount);
        return ValueTask.FromResult(result);
    }

    public override InterceptionResult DataReaderDisposing(DbCommand command, DataReaderDisposingEventData eventData, InterceptionResult result)
    {
        if (reference.Get(eventData.Context) is not { } runtime)
        {
            return result;
        }

        // Rows are counted while the reader is still open: at DataReaderClosing, or here when it was never closed.
        if (!eventData.DataReader.IsClosed)
        {
            runtime.Recorder.ReaderClosing(command, eventData.DataReader, eventData.ReadCount);
        }

        runtime.Router?.Completed(command);
        runtime.Enforcer.Release(command);
        return result;
    }

    public override void CommandFailed(DbCommand command, CommandErrorEventData eventData)
    {
        if (reference.Get(eventData.Context) is not { } runtime)
        {
            return;
        }

        runtime.Recorder.Failed(command, eventData.Duration, eventData.Exception);
        runtime.Enforcer.Release(command);
    }

    public override Task CommandFailedAsync(DbCommand command, CommandErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        if (reference.Get(eventData.Context) is not { } runtime)
        {
            return Task.CompletedTask;
        }

        CommandFailed(command, eventData);
        return Task.CompletedTask;
    }

    public override void CommandCanceled(DbCommand command, CommandEndEventData eventData)
    {
        if (reference.Get(eventData.Context) is not { } runtime)
        {
            return;
        }

        runtime.Recorder.Failed(command, eventData.Duration, null);
        runtime.Enforcer.Release(command);
    }

    public override Task CommandCanceledAsync(DbCommand command, CommandEndEventData eventData, CancellationToken cancellationToken = default)
    {
        if (reference.Get(eventData.Context) is not { } runtime)
        {
            return Task.CompletedTask;
        }

        CommandCanceled(command, eventData);
        return Task.CompletedTask;
    }

    /// <summary>The plan for this command text, after its rules let it through (a blocked command never reaches the server).</summary>
    private ValueTask<CommandPlan> BeginAsync(PgDisciplineRuntime runtime, DbCommand command, CommandEventData eventData, bool sync, CancellationToken cancellationToken)
    {
        var plan = runtime.Planner.PlanFor(command.CommandText, eventData.CommandSource);
        plan.CallSite?.Increment();
        PgDisciplineTelemetry.StartCommand(command, plan);
        var enforced = runtime.Enforcer.EnforceAsync(command, plan, sync, cancellationToken);
        return enforced.IsCompletedSuccessfully ? ValueTask.FromResult(plan) : AfterRulesAsync(enforced, plan);

        static async ValueTask<CommandPlan> AfterRulesAsync(ValueTask enforced, CommandPlan plan)
        {
            await enforced.ConfigureAwait(false);
            return plan;
        }
    }

    /// <summary>Rules, then timeouts, then the primary connection.</summary>
    private async ValueTask<CommandPlan> PrepareAsync(PgDisciplineRuntime runtime, DbCommand command, CommandEventData eventData, bool sync, CancellationToken cancellationToken)
    {
        var plan = await BeginAsync(runtime, command, eventData, sync, cancellationToken).ConfigureAwait(false);
        await OnPrimaryAsync(runtime, command, eventData, plan, sync, cancellationToken).ConfigureAwait(false);
        return plan;
    }

    /// <summary>The command runs on the primary: its timeouts, read-your-writes bookkeeping, and the deferred open.</summary>
    internal static ValueTask OnPrimaryAsync(PgDisciplineRuntime runtime, DbCommand command, CommandEventData eventData, CommandPlan plan, bool sync, CancellationToken cancellationToken)
    {
        PrimaryConnection.ApplyTimeouts(command, plan);
        plan.Stats?.RoutedTo(0);
        runtime.Router?.OnPrimary(command, eventData, plan);
        return runtime.Primary.EnsureOpen(command.Connection, sync, cancellationToken);
    }

    private void End(PgDisciplineRuntime runtime, DbCommand command, CommandExecutedEventData eventData, long rows)
    {
        runtime.Recorder.Executed(command, eventData.Duration, rows);
        runtime.Enforcer.Release(command);
    }

    private bool IsGuardedMigration(PgDisciplineRuntime runtime, CommandEventData eventData)
        => eventData.CommandSource == CommandSource.Migrations && runtime.Options.Migrations.Enabled;

    // Npgsql counts only INSERT/UPDATE/DELETE/MERGE/COPY rows in RecordsAffected, so the set_config SELECT adds nothing
    // (checked by PgBouncerTimeoutTests.ExecuteUpdate_through_the_prefix_reports_rows_affected).
    private static int RowsAffected(DbDataReader reader) => reader.RecordsAffected;
}
