namespace PgDiscipline.Sql;

/// <summary>
/// The one rule catalog: analyzer descriptors, lint findings and the runtime migration guard's decisions are built from
/// it, so a rule has one severity and one meaning everywhere. The rule of thumb for migration rules: a table rewrite or a
/// long ACCESS EXCLUSIVE / SHARE lock on an existing table (or a statement that fails on a non-empty table) is an
/// <see cref="RuleSeverity.Error"/>; changes that break the running version of the app or lose data on purpose are
/// <see cref="RuleSeverity.Warning"/>s.
/// </summary>
public static class RuleCatalog
{
    /// <summary>Category of PGD100: the analyzers' own configuration.</summary>
    public const string Configuration = "PgDiscipline.Configuration";

    /// <summary>Category of the query-shape rules (PGD1xx).</summary>
    public const string QueryShape = "PgDiscipline.QueryShape";

    /// <summary>Category of the routing rules (PGD2xx).</summary>
    public const string Routing = "PgDiscipline.Routing";

    /// <summary>Category of the migration rules (PGD3xx) about locks, rewrites, failures and breaking the running app.</summary>
    public const string Migrations = "PgDiscipline.Migrations";

    /// <summary>Category of the migration rules about schema design and robustness (squawk's style rules): lower default
    /// severities, and the noisiest off by default.</summary>
    public const string MigrationStyle = "PgDiscipline.MigrationStyle";

    private const string AccessExclusive = "ACCESS EXCLUSIVE";

    private static readonly RuleDescriptor[] Rules =
    {
        new(RuleIdentifiers.InvalidAnalyzerOption, "Invalid PgDiscipline analyzer option", Configuration, RuleSeverity.Warning, null),
        new(RuleIdentifiers.TooManyJoins, "Query joins more tables than allowed", QueryShape, RuleSeverity.Warning, null),
        new(RuleIdentifiers.CartesianInclude, "Several collection Includes in one single query", QueryShape, RuleSeverity.Warning, null),
        new(RuleIdentifiers.QueryInLoop, "Query executed inside a loop (N+1)", QueryShape, RuleSeverity.Warning, null),
        new(RuleIdentifiers.RawSqlInjection, "Raw SQL built from non-constant text", QueryShape, RuleSeverity.Warning, null),
        new(RuleIdentifiers.RawSqlCallSite, "Raw SQL call site", QueryShape, RuleSeverity.Info, null),
        new(RuleIdentifiers.ReadWithoutRoutingIntent, "Read-only query without routing intent", Routing, RuleSeverity.Info, null),
        new(RuleIdentifiers.ReplicaReadInTransaction, "ReadFromReplica() inside a transaction", Routing, RuleSeverity.Warning, null),
        new(RuleIdentifiers.StaleReadAfterWrite, "Replica read after a write without session consistency", Routing, RuleSeverity.Warning, null),
        new(RuleIdentifiers.WriteInReplicaScope, "Write inside a ReadFromReplica scope", Routing, RuleSeverity.Warning, null),
        new(RuleIdentifiers.AlterColumnTypeRewrite, "Column type change that rewrites the table", Migrations, RuleSeverity.Error, AccessExclusive),
        new(RuleIdentifiers.AddColumnVolatileDefault, "Added column with a volatile default or a stored generated column", Migrations, RuleSeverity.Error, AccessExclusive),
        new(RuleIdentifiers.SetNotNull, "NOT NULL on an existing table's column without a validated check", Migrations, RuleSeverity.Error, AccessExclusive),
        new(RuleIdentifiers.CreateIndexNotConcurrently, "Index on an existing table built without CONCURRENTLY", Migrations, RuleSeverity.Error, "SHARE"),
        new(RuleIdentifiers.DropIndexNotConcurrently, "Index dropped without CONCURRENTLY", Migrations, RuleSeverity.Error, AccessExclusive),
        new(RuleIdentifiers.AddForeignKeyValidated, "Foreign key on an existing table without NOT VALID", Migrations, RuleSeverity.Error, "SHARE ROW EXCLUSIVE"),
        new(RuleIdentifiers.AddUniqueConstraint, "Unique constraint or primary key on an existing table", Migrations, RuleSeverity.Error, AccessExclusive),
        new(RuleIdentifiers.AddCheckConstraintValidated, "Check constraint on an existing table without NOT VALID", Migrations, RuleSeverity.Error, AccessExclusive),
        new(RuleIdentifiers.Rename, "Column or table renamed", Migrations, RuleSeverity.Warning, null),
        new(RuleIdentifiers.Drop, "Column or table dropped", Migrations, RuleSeverity.Warning, null),
        new(RuleIdentifiers.CreateTableClosed, "Table created in a database closed to new tables", Migrations, RuleSeverity.Error, null),
        new(RuleIdentifiers.UnsafeRawMigrationSql, "Unsafe statement in migration SQL", Migrations, RuleSeverity.Error, AccessExclusive),
        new(RuleIdentifiers.AddIdentityColumn, "Identity or serial column on an existing table", Migrations, RuleSeverity.Error, AccessExclusive),
        new(RuleIdentifiers.ConcurrentlyInTransaction, "CONCURRENTLY inside a transaction", Migrations, RuleSeverity.Error, null),
        new(RuleIdentifiers.DdlWithoutLockTimeout, "DDL on an existing table without a lock_timeout", Migrations, RuleSeverity.Warning, null),
        new(RuleIdentifiers.DetachPartitionNotConcurrently, "Partition detached without CONCURRENTLY", Migrations, RuleSeverity.Error, AccessExclusive),
        new(RuleIdentifiers.SqlSyntaxError, "Migration SQL that PostgreSQL cannot parse", Migrations, RuleSeverity.Error, null),
        new(RuleIdentifiers.DropDatabase, "Database dropped", Migrations, RuleSeverity.Warning, null),
        new(RuleIdentifiers.DropNotNull, "NOT NULL dropped from an existing column", Migrations, RuleSeverity.Info, null),
        new(RuleIdentifiers.TransactionNesting, "BEGIN or COMMIT inside the migration's transaction, or COMMIT without one", Migrations, RuleSeverity.Warning, null),
        new(RuleIdentifiers.UncommittedTransaction, "Transaction begun and never committed", Migrations, RuleSeverity.Error, null),
        new(RuleIdentifiers.StatementWithoutTimeout, "Long-running statement without a statement_timeout", Migrations, RuleSeverity.Warning, null, enabledByDefault: false),
        new(RuleIdentifiers.NotRerunnable, "Statement that fails when a half-applied migration is run again", MigrationStyle, RuleSeverity.Info, null, enabledByDefault: false),
        new(RuleIdentifiers.NarrowIntegerKey, "Key column narrower than bigint", MigrationStyle, RuleSeverity.Warning, null),
        new(RuleIdentifiers.SerialColumn, "Serial column instead of an identity", MigrationStyle, RuleSeverity.Info, null),
        new(RuleIdentifiers.LimitedVarchar, "varchar(n) instead of text with a CHECK", MigrationStyle, RuleSeverity.Info, null, enabledByDefault: false),
        new(RuleIdentifiers.TimestampWithoutTimeZone, "timestamp without time zone", MigrationStyle, RuleSeverity.Warning, null),
        new(RuleIdentifiers.CharColumn, "char(n) column", MigrationStyle, RuleSeverity.Warning, null),
        new(RuleIdentifiers.IdentifierTooLong, "Identifier longer than 63 bytes", MigrationStyle, RuleSeverity.Warning, null),
        new(RuleIdentifiers.UnorderedEnumValue, "Enum value added without BEFORE or AFTER", MigrationStyle, RuleSeverity.Info, null, enabledByDefault: false),
        new(RuleIdentifiers.AlterDomainAddConstraint, "Domain constraint added without NOT VALID", Migrations, RuleSeverity.Error, "SHARE"),
        new(RuleIdentifiers.DomainWithConstraint, "Domain created with a constraint", MigrationStyle, RuleSeverity.Info, null),
        new(RuleIdentifiers.ColumnNamedTwice, "Column named twice in one statement", Migrations, RuleSeverity.Error, null),
        new(RuleIdentifiers.UnqualifiedTable, "Table named without its schema", MigrationStyle, RuleSeverity.Info, null, enabledByDefault: false),
    };

    private static readonly Dictionary<string, RuleDescriptor> ById = Rules.ToDictionary(r => r.Id, StringComparer.Ordinal);

    /// <summary>Every rule, in id order.</summary>
    public static IReadOnlyList<RuleDescriptor> All => Rules;

    /// <summary>The rule with <paramref name="id"/>; throws for an unknown id (a programming error).</summary>
    public static RuleDescriptor Get(string id)
        => ById.TryGetValue(id, out var rule) ? rule : throw new ArgumentException($"Unknown rule id '{id}'.", nameof(id));

    /// <summary>The rule with <paramref name="id"/>, or null.</summary>
    public static RuleDescriptor? Find(string? id) => id is not null && ById.TryGetValue(id, out var rule) ? rule : null;

    /// <summary>Whether <paramref name="id"/> is a migration rule (PGD3xx, either migration category).</summary>
    public static bool IsMigrationRule(string id) => Find(id) is { Category: Migrations or MigrationStyle };

    /// <summary>The default severity of <paramref name="id"/>.</summary>
    public static RuleSeverity SeverityOf(string id) => Get(id).DefaultSeverity;
}
