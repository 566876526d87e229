using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;
using PgDiscipline.Pipeline;

namespace PgDiscipline.Interception;

/// <summary>PgBouncer transaction mode: applies the timeouts with transaction-local <c>set_config</c> when an explicit
/// transaction starts (one round trip per transaction; never a session <c>SET</c>, which would leak to other clients).</summary>
internal sealed class PgDisciplineTransactionInterceptor(RuntimeReference reference) : DbTransactionInterceptor
{
    public override InterceptionResult<DbTransaction> TransactionStarting(DbConnection connection, TransactionStartingEventData eventData, InterceptionResult<DbTransaction> result)
    {
        if (reference.Get(eventData.Context) is { } dependencies)
        {
            dependencies.Primary.EnsureOpen(connection, sync: true, CancellationToken.None).GetAwaiter().GetResult();
        }

        return result;
    }

    public override async ValueTask<InterceptionResult<DbTransaction>> TransactionStartingAsync(DbConnection connection, TransactionStartingEventData eventData, InterceptionResult<DbTransaction> result, CancellationToken cancellationToken = default)
    {
        if (reference.Get(eventData.Context) is { } dependencies)
        {
            await dependencies.Primary.EnsureOpen(connection, sync: false, cancellationToken).ConfigureAwait(false);
        }

        return result;
    }

    public override void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) => MarkWrite(eventData);

    public override Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        MarkWrite(eventData);
        return Task.CompletedTask;
    }

    private void MarkWrite(TransactionEndEventData eventData)
    {
        if (reference.Get(eventData.Context) is { } dependencies && dependencies.Replicas.Configured && eventData.Context is { } context
            && dependencies.Options.Value.Consistency == ReadConsistency.Session)
        {
            dependencies.Sessions.Session(context).MarkWrite();
        }
    }

    public override DbTransaction TransactionStarted(DbConnection connection, TransactionEndEventData eventData, DbTransaction result)
    {
        if (Batch(eventData) is { } sql)
        {
            using var command = connection.CreateCommand();
            command.Transaction = result;
            command.CommandText = sql;
            command.ExecuteNonQuery();
        }

        return result;
    }

    public override async ValueTask<DbTransaction> TransactionStartedAsync(DbConnection connection, TransactionEndEventData eventData, DbTransaction result, CancellationToken cancellationToken = default)
    {
        if (Batch(eventData) is { } sql)
        {
            var command = connection.CreateCommand();
            await using (command.ConfigureAwait(false))
            {
                command.Transaction = result;
                command.CommandText = sql;
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        return result;
    }

    private string? Batch(TransactionEndEventData eventData)
    {
        if (reference.Get(eventData.Context)?.Options.Value is not { } options)
        {
            return null;
        }

        return options.Pooler == PoolerMode.PgBouncerTransaction
            ? TimeoutSql.SetConfigBatch(options.Timeouts.Statement, options.Timeouts.Lock, options.Timeouts.IdleInTransaction)
            : null;
    }
}
