using System.Globalization;
using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using PgDiscipline.Operations.Backfill;

namespace PgDiscipline.Backfill;

/// <summary>The bounds of the batch in flight; EF Core turns member reads of it into query parameters.</summary>
internal sealed class KeyRange<TKey>
    where TKey : struct
{
    public TKey Lower { get; set; }

    public TKey Upper { get; set; }
}

internal sealed class EfBackfillWork<TContext, TEntity, TKey>(
    string table,
    string keyColumn,
    Func<TContext> createContext,
    Expression<Func<TEntity, TKey>> key,
    Func<IQueryable<TEntity>, CancellationToken, Task<int>> batch) : IBackfillWork
    where TContext : DbContext
    where TEntity : class
    where TKey : struct
{
    public string Table { get; } = table;

    public string KeyColumn { get; } = keyColumn;

    public string Identity => $"ef: {typeof(TContext).FullName} {typeof(TEntity).FullName} by {KeyColumn}";

    public Task DryRunAsync(NpgsqlConnection connection, string keyType, CancellationToken cancellationToken)
        => Task.CompletedTask; // the model was checked when the definition was made; the query is the caller's code

    public async Task<BatchScope> BeginAsync(NpgsqlDataSource primary, string keyType, CancellationToken cancellationToken)
    {
        var context = createContext();
        try
        {
            await context.Database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            var efTx = await context.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            var connection = (NpgsqlConnection)context.Database.GetDbConnection();
            var tx = (NpgsqlTransaction)efTx.GetDbTransaction();
            var range = new KeyRange<TKey>();
            var holder = Expression.Constant(range);
            var lower = Expression.Property(holder, nameof(KeyRange<TKey>.Lower));
            var upper = Expression.Property(holder, nameof(KeyRange<TKey>.Upper));
            var body = Expression.AndAlso(Expression.GreaterThanOrEqual(key.Body, lower), Expression.LessThanOrEqual(key.Body, upper));
            var inRange = context.Set<TEntity>().Where(Expression.Lambda<Func<TEntity, bool>>(body, key.Parameters));
            return new BatchScope(connection, tx, async (lo, hi, ct) =>
            {
                range.Lower = (TKey)Convert.ChangeType(lo, typeof(TKey), CultureInfo.InvariantCulture);
                range.Upper = (TKey)Convert.ChangeType(hi, typeof(TKey), CultureInfo.InvariantCulture);
                return await batch(inRange, ct).ConfigureAwait(false);
            }, efTx.CommitAsync, new ContextOwner(context, efTx));
        }
        catch
        {
            await context.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private sealed class ContextOwner(DbContext context, IDbContextTransaction transaction) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await transaction.DisposeAsync().ConfigureAwait(false);
            await context.DisposeAsync().ConfigureAwait(false);
        }
    }
}
