using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace PgDiscipline;

/// <summary>PgBouncer transaction mode: applies the timeouts with transaction-local <c>set_config</c> when an explicit
/// transaction starts (one round trip per transaction; never a session <c>SET</c>, which would leak to other clients).</summary>
internal sealed class PgDisciplineTransactionInterceptor(PgDisciplineRuntime runtime) : DbTransactionInterceptor
{
    public override DbTransaction TransactionStarted(DbConnection connection, TransactionEndEventData eventData, DbTransaction result)
    {
        if (Batch() is { } sql)
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
        if (Batch() is { } sql)
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

    private string? Batch()
    {
        var options = runtime.Options;
        return options.Pooler == PoolerMode.PgBouncerTransaction
            ? TimeoutSql.SetConfigBatch(options.Timeouts.Statement, options.Timeouts.Lock, options.Timeouts.IdleInTransaction)
            : null;
    }
}
