using Npgsql;

namespace PgDiscipline.Operations.Backfill;

/// <summary>The table and key a backfill walks, as PostgreSQL knows them.</summary>
/// <param name="Table">The table as <c>regclass</c> prints it (quoted, qualified when off the search path).</param>
/// <param name="Column">The key column's name.</param>
/// <param name="QuotedColumn">The key column, quoted for SQL.</param>
/// <param name="KeyType">The key's type (<c>format_type</c>), which the bounds are cast to.</param>
/// <param name="RowsEstimate">PostgreSQL's estimate of the table's rows, or null.</param>
internal sealed record BackfillTarget(string Table, string Column, string QuotedColumn, string KeyType, long? RowsEstimate)
{
    /// <summary>The first batch's bounds: the keys from the start up to <c>$2</c> (the end key), at most <c>$3</c> of them.
    /// Each <c>::text</c> gets an alias: ORDER BY a name that is also an output column sorts by the output (text), and
    /// '999' &gt; '1000'.</summary>
    public string FirstBoundsSql => $"with b as materialized (select {QuotedColumn} as k from {Table} where {QuotedColumn} <= $2::{KeyType} order by {QuotedColumn} limit $3) " + Tail;

    /// <summary>The next batch's bounds: the keys after <c>$1</c> (the last key done) up to <c>$2</c>, at most <c>$3</c>.</summary>
    public string NextBoundsSql => $"with b as materialized (select {QuotedColumn} as k from {Table} where {QuotedColumn} > $1::{KeyType} and {QuotedColumn} <= $2::{KeyType} order by {QuotedColumn} limit $3) " + Tail;

    /// <summary>The last key now: where the backfill ends (rows inserted later are the application's to fill).</summary>
    public string EndKeySql => $"select {QuotedColumn}::text as bound from {Table} order by {QuotedColumn} desc limit 1";

    private const string Tail = "select (select k::text as bound from b order by k limit 1), (select k::text as bound from b order by k desc limit 1), (select count(*) from b)";

    /// <summary>Looks the table and key up; a clear <see cref="BackfillDefinitionException"/> for each way they cannot carry a
    /// backfill (no such table, not a table, no such column, no unique index of its own, nullable).</summary>
    public static async Task<BackfillTarget> ResolveAsync(NpgsqlConnection connection, BackfillDefinition definition, CancellationToken cancellationToken)
    {
        var name = definition.Name;
        var key = definition.KeyColumn;
        var exact = key.Length > 1 && key[0] == '"' && key[^1] == '"' ? key[1..^1].Replace("\"\"", "\"", StringComparison.Ordinal) : null;
        await using var cmd = new NpgsqlCommand("""
            select c.oid::regclass::text, c.relkind::text, a.attname::text, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                   exists (select 1 from pg_index i
                           where i.indrelid = c.oid and i.indisunique and i.indisvalid and i.indpred is null
                             and i.indnkeyatts = 1 and i.indkey[0] = a.attnum),
                   case when c.reltuples < 0 then null else c.reltuples::bigint end
            from pg_class c
            left join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
                 and a.attname = coalesce($3, case when exists (select 1 from pg_attribute x where x.attrelid = c.oid and x.attname = $2 and not x.attisdropped) then $2 else lower($2) end)
            where c.oid = to_regclass($1)
            """, connection)
        {
            Parameters =
            {
                new() { Value = definition.Table },
                new() { Value = key },
                new() { Value = (object?)exact ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text },
            },
        };
        NpgsqlDataReader reader;
        try
        {
            reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.InvalidName or PostgresErrorCodes.SyntaxError)
        {
            // to_regclass refuses text that is not a (qualified) name at all, e.g. "bf; drop table …".
            throw new BackfillDefinitionException(name, "the table is not a table name (schema.table, quoted identifiers allowed)");
        }

        await using var owned = reader;
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            throw new BackfillDefinitionException(name, $"no table {definition.Table} (looked up with the connection's search_path)");
        }

        var regclass = reader.GetString(0);
        if (reader.GetString(1) is not ("r" or "p"))
        {
            throw new BackfillDefinitionException(name, $"{regclass} is not a table");
        }

        if (reader.IsDBNull(2))
        {
            throw new BackfillDefinitionException(name, $"{regclass} has no column {key}");
        }

        var column = reader.GetString(2);
        if (!reader.GetBoolean(5))
        {
            throw new BackfillDefinitionException(name, $"{regclass}.{column} has no unique index of its own (the primary key, or CREATE UNIQUE INDEX … ({column})): batches over a key that repeats would split rows with the same key across batches or do them twice");
        }

        if (!reader.GetBoolean(4))
        {
            throw new BackfillDefinitionException(name, $"{regclass}.{column} allows nulls: rows with a null key would never be in a batch (add NOT NULL, or pick another key)");
        }

        return new BackfillTarget(regclass, column, QuoteIdent(column), reader.GetString(3), reader.IsDBNull(6) ? null : reader.GetInt64(6));
    }

    private static string QuoteIdent(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
