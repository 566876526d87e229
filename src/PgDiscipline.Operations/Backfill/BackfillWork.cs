using Npgsql;
using PgDiscipline.Sql;

namespace PgDiscipline.Operations.Backfill;

/// <summary>One batch's transaction: the connection and transaction the batch and its progress row commit in, and the
/// batch itself.</summary>
internal sealed class BatchScope(
    NpgsqlConnection connection,
    NpgsqlTransaction transaction,
    Func<string, string, CancellationToken, Task<long>> run,
    Func<CancellationToken, Task> commit,
    IAsyncDisposable owner) : IAsyncDisposable
{
    public NpgsqlConnection Connection { get; } = connection;

    public NpgsqlTransaction Transaction { get; } = transaction;

    /// <summary>Runs the batch over [lower, upper] (the keys as text); returns the rows it changed.</summary>
    public Task<long> RunAsync(string lower, string upper, CancellationToken cancellationToken) => run(lower, upper, cancellationToken);

    public Task CommitAsync(CancellationToken cancellationToken) => commit(cancellationToken);

    /// <summary>Ends the transaction (rolled back unless committed) and returns the connection.</summary>
    public ValueTask DisposeAsync() => owner.DisposeAsync();
}

/// <summary>Disposes a transaction, then its connection.</summary>
internal sealed class TransactionOwner(NpgsqlTransaction transaction, NpgsqlConnection connection) : IAsyncDisposable
{
    public async ValueTask DisposeAsync()
    {
        await transaction.DisposeAsync().ConfigureAwait(false);
        await connection.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>What a definition does per batch (SQL or EF Core).</summary>
internal interface IBackfillWork
{
    string Table { get; }

    string KeyColumn { get; }

    /// <summary>Stored in the row so a name cannot be reused for a different backfill.</summary>
    string Identity { get; }

    /// <summary>Checks the batch can run (plans it over an empty range, in a transaction rolled back): unknown columns,
    /// type errors and syntax errors surface before anything is written.</summary>
    Task DryRunAsync(NpgsqlConnection connection, string keyType, CancellationToken cancellationToken);

    /// <summary>Begins a batch's transaction.</summary>
    Task<BatchScope> BeginAsync(NpgsqlDataSource primary, string keyType, CancellationToken cancellationToken);
}

internal sealed class SqlBackfillWork(string table, string keyColumn, BackfillStatement statement) : IBackfillWork
{
    public string Table { get; } = table;

    public string KeyColumn { get; } = keyColumn;

    public string Identity => statement.Text;

    public async Task DryRunAsync(NpgsqlConnection connection, string keyType, CancellationToken cancellationToken)
    {
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = Command(connection, tx, keyType, null, null);
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false); // BETWEEN NULL AND NULL: no row
        await tx.RollbackAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<BatchScope> BeginAsync(NpgsqlDataSource primary, string keyType, CancellationToken cancellationToken)
    {
        var connection = await primary.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            return new BatchScope(connection, tx, async (lower, upper, ct) =>
            {
                await using var cmd = Command(connection, tx, keyType, lower, upper);
                return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }, tx.CommitAsync, new TransactionOwner(tx, connection));
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private NpgsqlCommand Command(NpgsqlConnection connection, NpgsqlTransaction tx, string keyType, string? lower, string? upper)
        => new(statement.Bind(keyType), connection, tx)
        {
            Parameters =
            {
                new NpgsqlParameter { Value = (object?)lower ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text },
                new NpgsqlParameter { Value = (object?)upper ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text },
            },
        };
}
