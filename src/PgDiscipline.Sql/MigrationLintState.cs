using PgDiscipline.Sql.Migrations;

namespace PgDiscipline.Sql;

/// <summary>What the lint knows from earlier statements: the schema history (tables created, column types through
/// renames, constraints validated, functions declared IMMUTABLE/STABLE) and the transaction state (in a transaction or
/// not, lock_timeout and statement_timeout in force). Pass the same instance to successive calls to lint a migration
/// statement by statement (the runtime migration guard does).</summary>
public sealed class MigrationLintState
{
    internal SchemaHistory History { get; private set; } = new();

    internal TransactionState Transaction { get; } = new();

    /// <summary>Each rule's own state (what it reported in this transaction, constraint names seen …), by rule id.</summary>
    internal Dictionary<string, object> RuleStates { get; } = new(StringComparer.Ordinal);

    /// <summary>Whether the statements that follow run inside a transaction block. Set from outside, it is the migration
    /// runner's transaction (a COMMIT in the script would end it).</summary>
    public bool InTransaction
    {
        get => Transaction.InTransaction;
        set
        {
            Transaction.InTransaction = value;
            Transaction.Explicit = false;
        }
    }

    /// <summary>Records that <paramref name="column"/> of <paramref name="table"/> has <paramref name="type"/> before the
    /// statements that follow, so a later <c>ALTER COLUMN … TYPE</c> can be judged (the migration guard learns this from
    /// EF Core's AlterColumn operations). <paramref name="table"/> may be schema-qualified; the last part is used.</summary>
    public void SetColumnType(string table, string column, string type) => History.SetColumnType(table, column, type);

    /// <summary>The state for the next migration script of the same history (scripts linted in the order they run): what
    /// the schema is stays known — column types, functions declared IMMUTABLE/STABLE, not-null checks validated — while
    /// tables created by this script count as existing in the next one (they may have rows by then) and transaction and
    /// timeout state start afresh.</summary>
    public MigrationLintState ForNextScript(bool inTransaction)
        => new() { History = History.ForNextMigration(), InTransaction = inTransaction };

    /// <summary>Records a table created by other means (e.g. an EF Core CreateTable operation) as new.</summary>
    public void MarkCreated(string table) => History.MarkCreated(table);

    /// <summary>Tables created so far.</summary>
    public IReadOnlyCollection<string> CreatedTables => History.CreatedNames;

    /// <summary>Treat the statements that follow as running with a lock_timeout (the guard sets one itself).</summary>
    public bool AssumeLockTimeout
    {
        get => Transaction.LockTimeout.Set;
        set
        {
            Transaction.LockTimeout.Set = value;
            Transaction.LockTimeout.Session = value;
        }
    }
}
