namespace PgDiscipline.Sql.Migrations;

/// <summary>
/// Which columns the history has declared NOT NULL (CREATE TABLE, ADD COLUMN, keys, SET NOT NULL), so a later SET NOT NULL
/// on one is known to do nothing. Knowing too much would hide a scan, so the table is keyed by its name as written (a
/// same-named table in another schema is another table), and whatever may have changed a column elsewhere forgets it:
/// DROP NOT NULL on any table (it reaches partitions and children), and the same-named tables of other schemas on a
/// drop or rename. Statements the reader cannot see (in DO blocks, EXECUTE) are the limit: docs/rules/PGD303.md.
/// Two indexes (tables by bare name, tables by column) keep every update amortised O(1): an entry is removed at most once
/// for each time it was added.
/// </summary>
internal sealed class NotNullColumns
{
    private readonly Dictionary<string, HashSet<string>> _byTable = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _tablesByBare = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _tablesByColumn = new(StringComparer.Ordinal);

    public bool Contains(string table, string column) => _byTable.TryGetValue(table, out var columns) && columns.Contains(column);

    public void Declare(string table, IEnumerable<string> columns)
    {
        foreach (var column in columns)
        {
            Add(table, column);
        }
    }

    /// <summary>A table created (not <c>IF NOT EXISTS</c>, which may have done nothing, and not a temporary table
    /// dropped at commit): its NOT NULL columns replace what was known.</summary>
    public void Created(CreateTable create)
    {
        Forget(create.Table);
        if (!create.IfNotExists && !create.DroppedOnCommit && !create.Temporary)
        {
            Declare(create.Table, create.Columns.Where(c => c.NotNull || c.PrimaryKey).Select(c => c.Name).Concat(create.KeyColumns));
        }
    }

    /// <summary>DROP NOT NULL reaches the partitions and children of the table too: the column is forgotten everywhere.</summary>
    public void DropNotNull(string column)
    {
        if (_tablesByColumn.TryGetValue(column, out var tables))
        {
            foreach (var table in tables)
            {
                _byTable[table].Remove(column);
            }

            _tablesByColumn.Remove(column);
        }
    }

    public void DropColumn(string table, string column)
    {
        foreach (var key in SameName(table))
        {
            Remove(key, column);
        }
    }

    public void RenameColumn(string table, string column, string newName)
    {
        foreach (var key in SameName(table))
        {
            if (Remove(key, column) && key == table)
            {
                Add(key, newName);
            }
        }
    }

    public void RenameTable(string table, string newName)
    {
        var moved = _byTable.TryGetValue(table, out var columns) ? columns.ToList() : null;
        Forget(table);
        if (moved is not null)
        {
            // ALTER TABLE s.t RENAME TO u keeps the schema.
            var dot = table.LastIndexOf('.');
            Declare(dot > 0 && newName.IndexOf('.') < 0 ? table.Substring(0, dot + 1) + newName : newName, moved);
        }
    }

    /// <summary>The table and every same-named one (of another schema, or written with or without its schema).</summary>
    public void Forget(string table)
    {
        var bare = SchemaNames.Bare(table);
        if (!_tablesByBare.TryGetValue(bare, out var keys))
        {
            return;
        }

        foreach (var key in keys)
        {
            foreach (var column in _byTable[key])
            {
                _tablesByColumn[column].Remove(key);
            }

            _byTable.Remove(key);
        }

        _tablesByBare.Remove(bare);
    }

    public void CopyTo(NotNullColumns next)
    {
        foreach (var table in _byTable)
        {
            next.Declare(table.Key, table.Value);
        }
    }

    private void Add(string table, string column)
    {
        if (!_byTable.TryGetValue(table, out var columns))
        {
            _byTable[table] = columns = new HashSet<string>(StringComparer.Ordinal);
            Index(_tablesByBare, SchemaNames.Bare(table), table);
        }

        if (columns.Add(column))
        {
            Index(_tablesByColumn, column, table);
        }
    }

    private bool Remove(string table, string column)
    {
        if (!_byTable[table].Remove(column))
        {
            return false;
        }

        _tablesByColumn[column].Remove(table);
        return true;
    }

    /// <summary>The table and every same-named one known (a copy: callers change the sets).</summary>
    private List<string> SameName(string table)
        => _tablesByBare.TryGetValue(SchemaNames.Bare(table), out var keys) ? keys.ToList() : new List<string>();

    private static void Index(Dictionary<string, HashSet<string>> index, string key, string table)
    {
        if (!index.TryGetValue(key, out var tables))
        {
            index[key] = tables = new HashSet<string>(StringComparer.Ordinal);
        }

        tables.Add(table);
    }
}
