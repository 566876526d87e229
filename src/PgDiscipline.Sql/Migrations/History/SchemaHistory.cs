namespace PgDiscipline.Sql.Migrations;

/// <summary>
/// What earlier operations of the same history tell about the schema: the tables created by this migration (empty, so
/// nothing queues behind them), the column types (followed through renames of columns and tables), the index of each
/// table, the functions declared IMMUTABLE/STABLE and the not-null checks validated. Names are compared by their last
/// part (<see cref="SchemaNames.Bare"/>). Every lookup and update is O(1) (amortised) in the size of the history.
/// </summary>
internal sealed class SchemaHistory
{
    private readonly HashSet<string> _created = new(StringComparer.Ordinal);
    private readonly HashSet<string> _filled = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<string, string>> _columns = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _indexTables = new(StringComparer.Ordinal);
    private readonly HashSet<(string Table, string Column)> _indexed = new();
    private readonly HashSet<string> _nonVolatile = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string Table, string Column)> _notNullChecks = new(StringComparer.Ordinal);
    private readonly HashSet<(string Table, string Column)> _validatedNotNull = new();
    private readonly HashSet<string> _externallyValidated = new(StringComparer.Ordinal);
    private readonly NotNullColumns _notNull = new();

    /// <summary>Tables (and views) created by this migration, as written.</summary>
    public List<string> CreatedNames { get; } = new();

    /// <summary>Created earlier in this migration and empty.</summary>
    public bool IsNew(string relation)
    {
        var bare = SchemaNames.Bare(relation);
        return _created.Contains(bare) && !_filled.Contains(bare);
    }

    public string? ColumnType(string table, string column)
        => _columns.TryGetValue(SchemaNames.Bare(table), out var columns) && columns.TryGetValue(column, out var type) ? type : null;

    public void SetColumnType(string table, string column, string type)
    {
        var bare = SchemaNames.Bare(table);
        if (!_columns.TryGetValue(bare, out var columns))
        {
            _columns[bare] = columns = new Dictionary<string, string>(StringComparer.Ordinal);
        }

        columns[column] = type;
    }

    /// <summary>An index (or a UNIQUE / PRIMARY KEY constraint) created earlier in the history covers the column.</summary>
    public bool IsIndexed(string table, string column) => _indexed.Contains((SchemaNames.Bare(table), column));

    public bool IsNonVolatile(string function) => _nonVolatile.Contains(function);

    /// <summary>SET NOT NULL on the column can use a validated <c>CHECK (c IS NOT NULL)</c> (or one validated in an
    /// earlier migration on the table, whose column is not known).</summary>
    public bool HasValidatedNotNull(string table, string column)
        => _validatedNotNull.Contains((SchemaNames.Bare(table), column)) || _externallyValidated.Contains(SchemaNames.Bare(table));

    /// <summary>The column is NOT NULL by an earlier declaration of the history (CREATE TABLE, ADD COLUMN, a key, SET NOT NULL).</summary>
    public bool IsNotNull(string table, string column)
        => _notNull.Contains(table, column);

    public void MarkCreated(string table)
    {
        _created.Add(SchemaNames.Bare(table));
        CreatedNames.Add(table);
    }

    /// <summary>Fills in what the history knows: whether the table is new, a column's old type, a dropped index's table.</summary>
    public SchemaOperation Resolve(SchemaOperation operation)
    {
        switch (operation)
        {
            case DropIndex drop when drop.Table == drop.Name && _indexTables.TryGetValue(SchemaNames.Bare(drop.Name), out var table):
                return drop with { Table = table, TableIsNew = IsNew(table) };
            case AlterColumnType alter when alter.OldType is null:
                return alter with { OldType = ColumnType(alter.Table, alter.Column), TableIsNew = IsNew(alter.Table) };
            case TableOperation t:
                var isNew = IsNew(t.Table);
                return t.TableIsNew == isNew ? t : t with { TableIsNew = isNew };
            default:
                return operation;
        }
    }

    /// <summary>Records what the operation changes.</summary>
    public void Apply(SchemaOperation operation)
    {
        switch (operation)
        {
            case CreateTable create:
                Create(create.Table, create.Filled);
                _columns.Remove(SchemaNames.Bare(create.Table));
                foreach (var column in create.Columns)
                {
                    if (column.Type is { Length: > 0 } type)
                    {
                        SetColumnType(create.Table, column.Name, type);
                    }
                }

                Index(create.Table, create.KeyColumns);
                Index(create.Table, create.UniqueColumns);
                _notNull.Created(create);
                break;
            case SelectInto into:
                Create(into.Table, filled: true);
                break;
            case CreateView view when !view.OrReplace || IsNew(view.Table):
                Create(view.Table, filled: false);
                break;
            case CreateIndex index:
                if (index.Name is not null)
                {
                    _indexTables[SchemaNames.Bare(index.Name)] = index.Table;
                }

                Index(index.Table, index.Columns);
                break;
            case AddConstraint { Kind: ConstraintKind.Unique or ConstraintKind.PrimaryKey } unique:
                Index(unique.Table, unique.Columns);
                break;
            case AddColumn { Definition: { } added } when added.PrimaryKey || added.Unique:
                Index(((AddColumn)operation).Table, new[] { added.Name });
                if ((added.NotNull || added.PrimaryKey) && !((AddColumn)operation).IfNotExists)
                {
                    _notNull.Declare(((AddColumn)operation).Table, new[] { added.Name });
                }

                if (added.Type is { Length: > 0 } addedType)
                {
                    SetColumnType(((AddColumn)operation).Table, added.Name, addedType);
                }

                break;
            case DropTable or DropView:
                Forget(((TableOperation)operation).Table);
                _notNull.Forget(((TableOperation)operation).Table);
                break;
            case RenameTable rename:
                Rename(rename.Table, rename.NewName);
                _notNull.RenameTable(rename.Table, rename.NewName);
                break;
            case AddColumn add:
                if (add.Definition.Type is { Length: > 0 } addType)
                {
                    SetColumnType(add.Table, add.Column, addType);
                }

                if (add.Definition.NotNull && !add.IfNotExists)
                {
                    _notNull.Declare(add.Table, new[] { add.Column });
                }

                break;
            case SetNotNull set:
                _notNull.Declare(set.Table, new[] { set.Column });
                break;
            case DropNotNull drop:
                _notNull.DropNotNull(drop.Column);
                break;
            case AlterColumnType alter:
                SetColumnType(alter.Table, alter.Column, alter.NewType);
                break;
            case RenameColumn rename:
                if (ColumnType(rename.Table, rename.Column) is { } renamedType)
                {
                    _columns[SchemaNames.Bare(rename.Table)].Remove(rename.Column);
                    SetColumnType(rename.Table, rename.NewName, renamedType);
                }

                if (_indexed.Remove((SchemaNames.Bare(rename.Table), rename.Column)))
                {
                    _indexed.Add((SchemaNames.Bare(rename.Table), rename.NewName));
                }

                _notNull.RenameColumn(rename.Table, rename.Column, rename.NewName);

                break;
            case DropColumn drop:
                if (_columns.TryGetValue(SchemaNames.Bare(drop.Table), out var columns))
                {
                    columns.Remove(drop.Column);
                }

                _notNull.DropColumn(drop.Table, drop.Column);

                break;
            case CreateFunction function:
                if (function.NonVolatile)
                {
                    _nonVolatile.Add(function.Name);
                }
                else
                {
                    _nonVolatile.Remove(function.Name); // VOLATILE, said or not
                }

                break;
            case AddConstraint { NotValid: true, NotNullColumn: { } column, Name: { } name } check:
                _notNullChecks[name] = (SchemaNames.Bare(check.Table), column);
                break;
            case ValidateConstraint validate:
                if (_notNullChecks.TryGetValue(validate.Name, out var checkColumn))
                {
                    if (checkColumn.Table == SchemaNames.Bare(validate.Table))
                    {
                        _validatedNotNull.Add(checkColumn);
                    }
                }
                else
                {
                    _externallyValidated.Add(SchemaNames.Bare(validate.Table)); // added NOT VALID in an earlier migration: its column is unknown
                }

                break;
        }
    }

    /// <summary>The history for the next migration of the same history: the schema stays known, while the tables this
    /// one created count as existing (they may have rows by then).</summary>
    public SchemaHistory ForNextMigration()
    {
        var next = new SchemaHistory();
        foreach (var table in _columns)
        {
            next._columns[table.Key] = new Dictionary<string, string>(table.Value, StringComparer.Ordinal);
        }

        foreach (var index in _indexTables)
        {
            next._indexTables[index.Key] = index.Value;
        }

        _notNull.CopyTo(next._notNull);

        next._indexed.UnionWith(_indexed);
        next._nonVolatile.UnionWith(_nonVolatile);
        next._validatedNotNull.UnionWith(_validatedNotNull);
        next._externallyValidated.UnionWith(_externallyValidated);
        foreach (var check in _notNullChecks)
        {
            next._notNullChecks[check.Key] = check.Value;
        }

        return next;
    }

    private void Index(string table, IEnumerable<string> columns)
    {
        foreach (var column in columns)
        {
            _indexed.Add((SchemaNames.Bare(table), column));
        }
    }

    private void Create(string table, bool filled)
    {
        MarkCreated(table);
        if (filled)
        {
            _filled.Add(SchemaNames.Bare(table));
        }
        else
        {
            _filled.Remove(SchemaNames.Bare(table));
        }
    }

    private void Forget(string table)
    {
        var bare = SchemaNames.Bare(table);
        _created.Remove(bare);
        _filled.Remove(bare);
        _columns.Remove(bare);
    }

    private void Rename(string table, string newName)
    {
        var from = SchemaNames.Bare(table);
        var to = SchemaNames.Bare(newName);
        if (_columns.TryGetValue(from, out var columns))
        {
            _columns.Remove(from);
            _columns[to] = columns; // the types follow the table
        }


        if (_created.Remove(from))
        {
            _created.Add(to);
        }

        if (_filled.Remove(from))
        {
            _filled.Add(to);
        }
    }
}
