using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Npgsql;
using PgDiscipline.Backfill;
using PgDiscipline.Sql;

namespace PgDiscipline;

/// <summary>
/// What a backfill does: a named, resumable walk over a table's unique, non-null key in keyset batches (never OFFSET),
/// each batch one statement over a key range in its own short transaction together with the progress row.
/// Two forms: SQL (<see cref="FromSql"/>, an UPDATE/DELETE/INSERT/MERGE with <c>:lower</c> and <c>:upper</c>, both
/// inclusive) and EF Core (<see cref="ForEntity{TContext, TEntity, TKey}"/>, typically <c>ExecuteUpdateAsync</c> over the
/// range, for integer keys).
/// </summary>
public sealed class BackfillDefinition
{
    private BackfillDefinition(string name, IBackfillWork work)
    {
        Name = name;
        Work = work;
    }

    /// <summary>The backfill's name: its row in <c>pgdiscipline.backfills</c>. Running a definition again under the same
    /// name continues it (or does nothing when it is done).</summary>
    public string Name { get; }

    /// <summary>The table (as given, or from the EF Core model).</summary>
    public string Table => Work.Table;

    /// <summary>The key column (as given, or the entity's key column).</summary>
    public string KeyColumn => Work.KeyColumn;

    internal IBackfillWork Work { get; }

    /// <summary>A SQL-defined backfill. <paramref name="table"/> may be schema-qualified; <paramref name="keyColumn"/> must be
    /// NOT NULL with a unique index of its own (the primary key, usually). <paramref name="sql"/> is one data-modifying
    /// statement with <c>:lower</c> and <c>:upper</c>, the first and last key of each batch:
    /// <c>UPDATE users SET email_lower = lower(email) WHERE id BETWEEN :lower AND :upper AND email_lower IS NULL</c>.
    /// A statement that is not one (no bounds, a SELECT, two statements, other parameters) throws
    /// <see cref="BackfillDefinitionException"/> here; the table and key are checked when it runs, before anything is written.</summary>
    public static BackfillDefinition FromSql(string name, string table, string keyColumn, string sql)
    {
        CheckName(name);
        if (string.IsNullOrWhiteSpace(table))
        {
            throw new BackfillDefinitionException(name, "no table given");
        }

        if (string.IsNullOrWhiteSpace(keyColumn))
        {
            throw new BackfillDefinitionException(name, "no key column given");
        }

        var statement = BackfillStatement.Parse(sql);
        if (!statement.IsValid)
        {
            throw new BackfillDefinitionException(name, "the statement cannot run as a backfill batch: " + string.Join("; ", statement.Errors));
        }

        return new BackfillDefinition(name, new SqlBackfillWork(table.Trim(), keyColumn.Trim(), statement));
    }

    /// <summary>An EF Core backfill over <typeparamref name="TEntity"/>'s table, keyed by an integer property (its primary
    /// key, usually). Each batch creates a context with <paramref name="createContext"/>, begins a transaction, and calls
    /// <paramref name="batch"/> with the entities of the key range — e.g.
    /// <c>(range, ct) =&gt; range.Where(u =&gt; u.EmailLower == null).ExecuteUpdateAsync(s =&gt; s.SetProperty(u =&gt; u.EmailLower, u =&gt; u.Email.ToLower()), ct)</c>
    /// — returning the rows it changed; the progress row commits in the same transaction. The range bounds are query
    /// parameters, so every batch is the same SQL.</summary>
    public static BackfillDefinition ForEntity<TContext, TEntity, TKey>(
        string name,
        Func<TContext> createContext,
        Expression<Func<TEntity, TKey>> key,
        Func<IQueryable<TEntity>, CancellationToken, Task<int>> batch)
        where TContext : DbContext
        where TEntity : class
        where TKey : struct
    {
        CheckName(name);
        ArgumentNullException.ThrowIfNull(createContext);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(batch);
        if (typeof(TKey) != typeof(long) && typeof(TKey) != typeof(int) && typeof(TKey) != typeof(short))
        {
            throw new BackfillDefinitionException(name, $"an EF Core backfill needs an integer key (long, int or short), not {typeof(TKey).Name}; use FromSql for other key types");
        }

        if (key.Body is not MemberExpression { Member: System.Reflection.PropertyInfo property })
        {
            throw new BackfillDefinitionException(name, "the key must be a property of the entity, e.g. u => u.Id");
        }

        using var context = createContext();
        var entityType = context.Model.FindEntityType(typeof(TEntity))
            ?? throw new BackfillDefinitionException(name, $"{typeof(TEntity).Name} is not an entity of {typeof(TContext).Name}");
        var store = StoreObjectIdentifier.Create(entityType, StoreObjectType.Table)
            ?? throw new BackfillDefinitionException(name, $"{typeof(TEntity).Name} is not mapped to a table");
        var keyProperty = entityType.FindProperty(property.Name)
            ?? throw new BackfillDefinitionException(name, $"{property.Name} is not a mapped property of {typeof(TEntity).Name}");
        var column = keyProperty.GetColumnName(store)
            ?? throw new BackfillDefinitionException(name, $"{property.Name} has no column in {store.Name}");
        var table = Quote(store.Schema) is { } schema ? schema + "." + Quote(store.Name) : Quote(store.Name)!;
        return new BackfillDefinition(name, new EfBackfillWork<TContext, TEntity, TKey>(table, column, createContext, key, batch));
    }

    private static string? Quote(string? identifier) => identifier is null ? null : "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static void CheckName(string name)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > 200)
        {
            throw new ArgumentException("A backfill needs a name (1-200 characters): its row in pgdiscipline.backfills.", nameof(name));
        }
    }
}
