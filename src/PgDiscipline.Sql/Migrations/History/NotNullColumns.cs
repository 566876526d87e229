namespace PgDiscipline.Sql.Migrations;

/// <summary>
/// Which columns the history has declared NOT NULL (CREATE TABLE, ADD COLUMN, keys, SET NOT NULL), so a later SET NOT NULL
/// on one is known to do nothing. Knowing too much would hide a scan, so the table is keyed by its name as written (a
/// same-named table in another schema is another table), and whatever may have changed a column elsewhere forgets it:
/// DROP NOT NULL on any table (it reaches partitions and children), and the same-named tables of other schemas on a
/// drop or rename. Statements the reader cannot see (in DO blocks, EXECUTE) are the limit: docs/rules/PGD303.md.
/// </summary>
internal sealed class NotNullColumns
{
    private readonly Dictionary<string, HashSet<string>> _byTable = new(StringComparer.Ordinal);

    public bool Contains(string table, string column) => _byTable.TryGetValue(table, out var columns) && columns.Contains(column);

    public void Declare(string table, IEnumerable<string> columns)
    {
        foreach (var column in columns)
        {
            if (!_byTable.TryGetValue(table, out var set))
            {
                _byTable[table] = set = new HashSet<string>(StringComparer.Ordinal);
            }

            set.Add(column);
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
        foreach (var columns in _byTable.Values)
        {
            columns.Remove(column);
        }
    }

    public void DropColumn(string table, string column)
    {
        foreach (var key in SameName(table))
        {
            _byTable[key].Remove(column);
        }
    }

    public void RenameColumn(string table, string column, string newName)
    {
        foreach (var key in SameName(table))
        {
            if (_byTable[key].Remove(column) && key == table)
            {
                _byTable[key].Add(newName);
            }
        }
    }

    public void RenameTable(string table, string newName)
    {
        var moved = _byTable.TryGetValue(table, out var columns) ? columns : null;
        Forget(table);
        if (moved is not null)
        {
            // ALTER TABLE s.t RENAME TO u keeps the schema.
            var dot = table.LastIndexOf('.');
            _byTable[dot > 0 && newName.IndexOf('.') < 0 ? table.Substring(0, dot + 1) + newName : newName] = moved;
        }
    }

    /// <summary>The table and every same-named one (of another schema, or written with or without its schema).</summary>
    public void Forget(string table)
    {
        foreach (var key in SameName(table))
        {
            _byTable.Remove(key);
        }
    }

    public void CopyTo(NotNullColumns next)
    {
        foreach (var table in _byTable)
        {
            next._byTable[table.Key] = new HashSet<string>(table.Value, StringComparer.Ordinal);
        }
    }

    private List<string> SameName(string table)
    {
        var bare = SchemaNames.Bare(table);
        return _byTable.Keys.Where(k => SchemaNames.Bare(k) == bare).ToList();
    }
}
