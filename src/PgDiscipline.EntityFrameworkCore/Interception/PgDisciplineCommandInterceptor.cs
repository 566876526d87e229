using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;
using PgDiscipline.Pipeline;

namespace PgDiscipline.Interception;

/// <summary>
/// Hands every command EF Core executes to the <see cref="CommandPipeline"/> and its outcome back to EF Core: an
/// execution begins at <c>…Executing</c>, the stages decide (or answer), and the execution ends exactly once — at
/// <c>…Executed</c> for non-queries and scalars, when EF Core closes the reader for queries, or at
/// <c>CommandFailed</c>/<c>CommandCanceled</c>. EF Core's synchronous APIs run the same code with <c>sync: true</c>,
/// which completes without awaiting.
/// </summary>
internal sealed class PgDisciplineCommandInterceptor(RuntimeReference reference) : DbCommandInterceptor
{
    public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
        => Begin(command, eventData, ExecutionKind.Reader, sync: true) is not { } execution ? result
            : AsReader(execution, CommandPipeline.ExecuteAsync(execution, default).GetAwaiter().GetResult(), result);

    public override async ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        => Begin(command, eventData, ExecutionKind.Reader, sync: false) is not { } execution ? result
            : AsReader(execution, await CommandPipeline.ExecuteAsync(execution, cancellationToken).ConfigureAwait(false), result);

    public override InterceptionResult<int> NonQueryExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<int> result)
        => Begin(command, eventData, ExecutionKind.NonQuery, sync: true) is not { } execution ? result
            : AsRows(CommandPipeline.ExecuteAsync(execution, default).GetAwaiter().GetResult(), result);

    public override async ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
        => Begin(command, eventData, ExecutionKind.NonQuery, sync: false) is not { } execution ? result
            : AsRows(await CommandPipeline.ExecuteAsync(execution, cancellationToken).ConfigureAwait(false), result);

    public override InterceptionResult<object> ScalarExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<object> result)
        => Begin(command, eventData, ExecutionKind.Scalar, sync: true) is not { } execution ? result
            : AsScalar(CommandPipeline.ExecuteAsync(execution, default).GetAwaiter().GetResult(), result);

    public override async ValueTask<InterceptionResult<object>> ScalarExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<object> result, CancellationToken cancellationToken = default)
        => Begin(command, eventData, ExecutionKind.Scalar, sync: false) is not { } execution ? result
            : AsScalar(await CommandPipeline.ExecuteAsync(execution, cancellationToken).ConfigureAwait(false), result);

    public override DbDataReader ReaderExecuted(DbCommand command, CommandExecutedEventData eventData, DbDataReader result)
        => Executions.Find(command, eventData.CommandId) is not { } execution ? result
            : execution.Shape.LeadingResults == 0 ? Hand(execution, eventData, result)
            : Wrap(execution, eventData, result, sync: true, default).GetAwaiter().GetResult();

    public override ValueTask<DbDataReader> ReaderExecutedAsync(DbCommand command, CommandExecutedEventData eventData, DbDataReader result, CancellationToken cancellationToken = default)
        => Executions.Find(command, eventData.CommandId) is not { } execution ? ValueTask.FromResult(result)
            : execution.Shape.LeadingResults == 0 ? ValueTask.FromResult(Hand(execution, eventData, result))
            : Wrap(execution, eventData, result, sync: false, cancellationToken);

    public override int NonQueryExecuted(DbCommand command, CommandExecutedEventData eventData, int result)
    {
        End(command, eventData, Math.Max(result, 0));
        return result;
    }

    public override ValueTask<int> NonQueryExecutedAsync(DbCommand command, CommandExecutedEventData eventData, int result, CancellationToken cancellationToken = default)
        => ValueTask.FromResult(NonQueryExecuted(command, eventData, result));

    public override object? ScalarExecuted(DbCommand command, CommandExecutedEventData eventData, object? result)
    {
        End(command, eventData, result is null or DBNull ? 0 : 1);
        return result;
    }

    public override ValueTask<object?> ScalarExecutedAsync(DbCommand command, CommandExecutedEventData eventData, object? result, CancellationToken cancellationToken = default)
        => ValueTask.FromResult(ScalarExecuted(command, eventData, result));

    public override InterceptionResult DataReaderDisposing(DbCommand command, DataReaderDisposingEventData eventData, InterceptionResult result)
    {
        Executions.Find(command, eventData.CommandId)?.RawReaderDisposing(eventData.DataReader, eventData.ReadCount);
        return result;
    }

    public override void CommandFailed(DbCommand command, CommandErrorEventData eventData)
        => Executions.Find(command, eventData.CommandId)?.Fail(eventData.Exception);

    public override Task CommandFailedAsync(DbCommand command, CommandErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        CommandFailed(command, eventData);
        return Task.CompletedTask;
    }

    public override void CommandCanceled(DbCommand command, CommandEndEventData eventData)
        => Executions.Find(command, eventData.CommandId)?.Fail(null);

    public override Task CommandCanceledAsync(DbCommand command, CommandEndEventData eventData, CancellationToken cancellationToken = default)
    {
        CommandCanceled(command, eventData);
        return Task.CompletedTask;
    }

    /// <summary>Begins the execution (none when the context has no PgDiscipline runtime); the stages run next.</summary>
    private CommandExecution? Begin(DbCommand command, CommandEventData eventData, ExecutionKind kind, bool sync)
        => reference.Get(eventData.Context)?.Pipeline.Begin(command, eventData, kind, sync);

    private static InterceptionResult<DbDataReader> AsReader(CommandExecution execution, Served served, InterceptionResult<DbDataReader> result)
        => served.Reader is { } reader
            ? InterceptionResult<DbDataReader>.SuppressWithResult(execution.Take(reader, served.FirstReadDone, served.FirstRead))
            : result;

    private static InterceptionResult<int> AsRows(Served served, InterceptionResult<int> result)
        => served.RecordsAffected is { } rows ? InterceptionResult<int>.SuppressWithResult(rows) : result;

    private static InterceptionResult<object> AsScalar(Served served, InterceptionResult<object> result)
        => served.HasScalar ? InterceptionResult<object>.SuppressWithResult(served.Scalar!) : result;

    /// <summary>EF Core executed the command (or got the reader a stage made): the reader it hands on is the execution's.
    /// No result to skip (the common case): no state machine.</summary>
    private static DbDataReader Hand(CommandExecution execution, CommandExecutedEventData eventData, DbDataReader result)
    {
        execution.Executed(eventData.Duration);
        if (!execution.Made(result))
        {
            execution.Take(result);
        }

        return execution.HandedOver();
    }

    /// <summary><see cref="Hand"/> for a command whose text put results of PgDiscipline's own before the application's.</summary>
    private static async ValueTask<DbDataReader> Wrap(CommandExecution execution, CommandExecutedEventData eventData, DbDataReader result, bool sync, CancellationToken cancellationToken)
    {
        execution.Executed(eventData.Duration);
        if (execution.Made(result))
        {
            return execution.HandedOver();
        }

        execution.Take(result);
        await ShapedResults.PositionAsync(result, execution.Shape, sync, cancellationToken).ConfigureAwait(false);
        return execution.HandedOver();
    }

    private static void End(DbCommand command, CommandExecutedEventData eventData, long rows)
    {
        if (Executions.Find(command, eventData.CommandId) is { } execution)
        {
            execution.Executed(eventData.Duration);
            execution.Complete(rows);
        }
    }
}
