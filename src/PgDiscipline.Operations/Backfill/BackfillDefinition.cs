using PgDiscipline.Operations.Backfill;
using PgDiscipline.Sql;

namespace PgDiscipline;

/// <summary>
/// What a backfill does: a named, resumable walk over a table's unique, non-null key in keyset batches (never OFFSET),
/// each batch one statement over a key range in its own short transaction together with the progress row.
/// Defined in SQL here (<see cref="FromSql"/>, an UPDATE/DELETE/INSERT/MERGE with <c>:lower</c> and <c>:upper</c>, both
/// inclusive); PgDiscipline.EntityFrameworkCore adds <c>BackfillDefinition.ForEntity&lt;TContext, TEntity, TKey&gt;</c>
/// (typically <c>ExecuteUpdateAsync</c> over the range, for integer keys).
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

    /// <summary>A definition whose batches are other code (the EF Core runtime's entity backfills).</summary>
    internal static BackfillDefinition Create(string name, IBackfillWork work)
    {
        CheckName(name);
        return new BackfillDefinition(name, work);
    }

    internal static void CheckName(string name)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > 200)
        {
            throw new ArgumentException("A backfill needs a name (1-200 characters): its row in pgdiscipline.backfills.", nameof(name));
        }
    }
}
