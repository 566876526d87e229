namespace PgDiscipline.Sql;

/// <summary>What the lint knows from earlier statements: tables created (and whether filled), constraints added NOT
/// VALID and validated, functions declared IMMUTABLE/STABLE, whether a transaction and a lock_timeout are in force. Pass
/// the same instance to successive calls to lint a migration statement by statement (the runtime migration guard does).</summary>
public sealed class MigrationLintState
{
    internal HashSet<string> Created { get; } = new(StringComparer.Ordinal);

    /// <summary>Tables created with rows in them (<c>CREATE TABLE … AS</c>, <c>SELECT … INTO</c>): not empty, so not "new".</summary>
    internal HashSet<string> Filled { get; } = new(StringComparer.Ordinal);

    /// <summary><c>CHECK (col IS NOT NULL) NOT VALID</c> constraints by name: their table and column.</summary>
    internal Dictionary<string, (string Table, string Column)> NotNullChecks { get; } = new(StringComparer.Ordinal);

    /// <summary>table + \u0001 + column with a validated not-null check.</summary>
    internal HashSet<string> ValidatedNotNull { get; } = new(StringComparer.Ordinal);

    /// <summary>Tables with a VALIDATE CONSTRAINT of a constraint added in an earlier migration (its column is unknown).</summary>
    internal HashSet<string> ExternallyValidated { get; } = new(StringComparer.Ordinal);

    /// <summary>Constraints added NOT VALID in the transaction in progress, with the rule their validation belongs to.</summary>
    internal Dictionary<string, (string Table, string RuleId)> NotValidInTransaction { get; } = new(StringComparer.Ordinal);

    /// <summary>Functions declared IMMUTABLE or STABLE earlier in the script.</summary>
    internal HashSet<string> NonVolatileFunctions { get; } = new(StringComparer.Ordinal);

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

    /// <summary>A session-level lock_timeout (what remains after a COMMIT ends a SET LOCAL).</summary>
    internal bool LockTimeoutSession { get; set; }

    /// <summary>The lock_timeout in force comes from SET LOCAL (it ends with the transaction).</summary>
    internal bool LockTimeoutLocal { get; set; }

    internal bool LockTimeoutReported { get; set; }

    /// <summary>The state for the next migration script of the same history (scripts linted in the order they run): what
    /// the schema is stays known — column types, functions declared IMMUTABLE/STABLE, not-null checks validated — while
    /// tables created by this script count as existing in the next one (they may have rows by then) and transaction and
    /// lock_timeout state start afresh.</summary>
    public MigrationLintState ForNextScript(bool inTransaction)
    {
        var next = new MigrationLintState { InTransaction = inTransaction };
        foreach (var column in ColumnTypes)
        {
            next.ColumnTypes[column.Key] = column.Value;
        }

        next.NonVolatileFunctions.UnionWith(NonVolatileFunctions);
        next.ValidatedNotNull.UnionWith(ValidatedNotNull);
        next.ExternallyValidated.UnionWith(ExternallyValidated);
        foreach (var check in NotNullChecks)
        {
            next.NotNullChecks[check.Key] = check.Value;
        }

        return next;
    }

    /// <summary>Records a table created by other means (e.g. an EF Core CreateTable operation) as new.</summary>
    public void MarkCreated(string table) => Created.Add(table);

    /// <summary>Tables created so far.</summary>
    public IReadOnlyCollection<string> CreatedTables => Created;

    /// <summary>Treat the statements that follow as running with a lock_timeout (the guard sets one itself).</summary>
    public bool AssumeLockTimeout
    {
        get => LockTimeoutSet;
        set => LockTimeoutSet = LockTimeoutSession = value;
    }
}
