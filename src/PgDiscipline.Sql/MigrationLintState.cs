namespace PgDiscipline.Sql;

/// <summary>What the lint knows from earlier statements: tables created, tables with a validated constraint, whether a
/// transaction and a lock_timeout are in force. Pass the same instance to successive calls to lint a migration
/// statement by statement (the runtime migration guard does).</summary>
public sealed class MigrationLintState
{
    internal HashSet<string> Created { get; } = new(StringComparer.Ordinal);

    internal HashSet<string> Validated { get; } = new(StringComparer.Ordinal);

    internal Dictionary<string, string> ColumnTypes { get; } = new(StringComparer.Ordinal);

    /// <summary>Records that <paramref name="column"/> of <paramref name="table"/> has <paramref name="type"/> before the
    /// statements that follow, so a later <c>ALTER COLUMN … TYPE</c> can be judged (the migration guard learns this from
    /// EF Core's AlterColumn operations). <paramref name="table"/> may be schema-qualified; the last part is used.</summary>
    public void SetColumnType(string table, string column, string type) => ColumnTypes[ColumnKey(table, column)] = type;

    internal string? ColumnType(string table, string column) => ColumnTypes.TryGetValue(ColumnKey(table, column), out var t) ? t : null;

    private static string ColumnKey(string table, string column)
    {
        var dot = table.LastIndexOf('.');
        return (dot >= 0 ? table.Substring(dot + 1) : table) + "\u0001" + column;
    }

    /// <summary>Whether the statements that follow run inside a transaction block.</summary>
    public bool InTransaction { get; set; }

    internal bool LockTimeoutSet { get; set; }

    internal bool LockTimeoutReported { get; set; }

    /// <summary>Records a table created by other means (e.g. an EF Core CreateTable operation) as new.</summary>
    public void MarkCreated(string table) => Created.Add(table);

    /// <summary>Tables created so far.</summary>
    public IReadOnlyCollection<string> CreatedTables => Created;

    /// <summary>Treat the statements that follow as running with a lock_timeout (the guard sets one itself).</summary>
    public bool AssumeLockTimeout
    {
        get => LockTimeoutSet;
        set => LockTimeoutSet = value;
    }
}
