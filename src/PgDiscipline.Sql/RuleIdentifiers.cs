namespace PgDiscipline.Sql;

/// <summary>Every PgDiscipline rule id, in one place, shared by the analyzers, the CLI and the runtime. Ids are a contract:
/// add new ones, never reuse a number.</summary>
public static class RuleIdentifiers
{
    /// <summary>An analyzer option (<c>pgdiscipline.PGDnnn.option</c>) with a value that is not valid.</summary>
    public const string InvalidAnalyzerOption = "PGD100";
    /// <summary>Query joins more tables than allowed.</summary>
    public const string TooManyJoins = "PGD101";
    /// <summary>Several collection Includes in one single query (cartesian explosion).</summary>
    public const string CartesianInclude = "PGD102";
    /// <summary>Query executed inside a loop (N+1).</summary>
    public const string QueryInLoop = "PGD103";
    /// <summary>Raw SQL built by interpolation or concatenation passed to a *Raw API.</summary>
    public const string RawSqlInjection = "PGD104";
    /// <summary>Raw SQL call site (inventory for the report's security view; info level).</summary>
    public const string RawSqlCallSite = "PGD105";
    /// <summary>Read-only query path executes against the primary without routing intent.</summary>
    public const string ReadWithoutRoutingIntent = "PGD201";
    /// <summary>ReadFromReplica() inside an explicit transaction.</summary>
    public const string ReplicaReadInTransaction = "PGD202";
    /// <summary>Replica read after a write without session consistency.</summary>
    public const string StaleReadAfterWrite = "PGD203";
    /// <summary>Write inside a ReadFromReplica scope.</summary>
    public const string WriteInReplicaScope = "PGD204";
    /// <summary>AlterColumn type change that rewrites the table.</summary>
    public const string AlterColumnTypeRewrite = "PGD301";
    /// <summary>AddColumn with a volatile default or a stored generated column.</summary>
    public const string AddColumnVolatileDefault = "PGD302";
    /// <summary>Setting NOT NULL on an existing column.</summary>
    public const string SetNotNull = "PGD303";
    /// <summary>CreateIndex on an existing table without CONCURRENTLY.</summary>
    public const string CreateIndexNotConcurrently = "PGD304";
    /// <summary>DropIndex without CONCURRENTLY.</summary>
    public const string DropIndexNotConcurrently = "PGD305";
    /// <summary>AddForeignKey on an existing table without NOT VALID.</summary>
    public const string AddForeignKeyValidated = "PGD306";
    /// <summary>AddUniqueConstraint / AddPrimaryKey on an existing table.</summary>
    public const string AddUniqueConstraint = "PGD307";
    /// <summary>AddCheckConstraint on an existing table without NOT VALID.</summary>
    public const string AddCheckConstraintValidated = "PGD308";
    /// <summary>RenameColumn / RenameTable.</summary>
    public const string Rename = "PGD309";
    /// <summary>DropColumn / DropTable.</summary>
    public const string Drop = "PGD310";
    /// <summary>CreateTable in a database closed to new tables.</summary>
    public const string CreateTableClosed = "PGD311";
    /// <summary>Unsafe raw Sql(...) in a migration.</summary>
    public const string UnsafeRawMigrationSql = "PGD312";
    /// <summary>Adding an identity/serial column to an existing table.</summary>
    public const string AddIdentityColumn = "PGD313";
    /// <summary>CONCURRENTLY operation inside a migration transaction.</summary>
    public const string ConcurrentlyInTransaction = "PGD314";
    /// <summary>DDL on an existing table without a lock_timeout (SQL lint).</summary>
    public const string DdlWithoutLockTimeout = "PGD315";

    /// <summary>PGD316: DETACH PARTITION without CONCURRENTLY.</summary>
    public const string DetachPartitionNotConcurrently = "PGD316";

    /// <summary>PGD317: migration SQL that PostgreSQL cannot parse.</summary>
    public const string SqlSyntaxError = "PGD317";

    /// <summary>PGD318: DROP DATABASE (squawk: ban-drop-database).</summary>
    public const string DropDatabase = "PGD318";

    /// <summary>PGD319: NOT NULL dropped from an existing column (squawk: ban-drop-not-null).</summary>
    public const string DropNotNull = "PGD319";

    /// <summary>PGD320: BEGIN/COMMIT nested in a transaction or without one (squawk: transaction-nesting).</summary>
    public const string TransactionNesting = "PGD320";

    /// <summary>PGD321: a script that ends inside the transaction it began (squawk: ban-uncommitted-transaction).</summary>
    public const string UncommittedTransaction = "PGD321";

    /// <summary>PGD322: a statement that can run long with no statement_timeout (squawk: require-statement-timeout; off by default).</summary>
    public const string StatementWithoutTimeout = "PGD322";

    /// <summary>PGD323: a statement a re-run fails on, outside a transaction (squawk: prefer-robust-stmts; off by default).</summary>
    public const string NotRerunnable = "PGD323";

    /// <summary>PGD324: a key column narrower than bigint (squawk: prefer-bigint-over-int, prefer-bigint-over-smallint).</summary>
    public const string NarrowIntegerKey = "PGD324";

    /// <summary>PGD325: a serial column instead of an identity (squawk: prefer-identity).</summary>
    public const string SerialColumn = "PGD325";

    /// <summary>PGD326: varchar(n) instead of text with a CHECK (squawk: prefer-text-field; off by default).</summary>
    public const string LimitedVarchar = "PGD326";

    /// <summary>PGD327: timestamp without time zone (squawk: prefer-timestamptz).</summary>
    public const string TimestampWithoutTimeZone = "PGD327";

    /// <summary>PGD328: char(n) (squawk: ban-char-field).</summary>
    public const string CharColumn = "PGD328";

    /// <summary>PGD329: an identifier longer than 63 bytes (squawk: identifier-too-long).</summary>
    public const string IdentifierTooLong = "PGD329";

    /// <summary>PGD330: enum value added without BEFORE/AFTER (squawk: require-enum-value-ordering; off by default).</summary>
    public const string UnorderedEnumValue = "PGD330";

    /// <summary>PGD331: ALTER DOMAIN … ADD CONSTRAINT without NOT VALID (squawk: ban-alter-domain-with-add-constraint).</summary>
    public const string AlterDomainAddConstraint = "PGD331";

    /// <summary>PGD332: CREATE DOMAIN with a constraint (squawk: ban-create-domain-with-constraint).</summary>
    public const string DomainWithConstraint = "PGD332";

    /// <summary>PGD333: a column named twice in one statement, which PostgreSQL rejects (squawk: ban-duplicate-column-assignments).</summary>
    public const string ColumnNamedTwice = "PGD333";

    /// <summary>PGD334: a table named without its schema (squawk: require-table-schema; off by default).</summary>
    public const string UnqualifiedTable = "PGD334";

    /// <summary>All ids, in order.</summary>
    public static readonly string[] All =
    {
        InvalidAnalyzerOption, TooManyJoins, CartesianInclude, QueryInLoop, RawSqlInjection, RawSqlCallSite,
        ReadWithoutRoutingIntent, ReplicaReadInTransaction, StaleReadAfterWrite, WriteInReplicaScope,
        AlterColumnTypeRewrite, AddColumnVolatileDefault, SetNotNull, CreateIndexNotConcurrently, DropIndexNotConcurrently,
        AddForeignKeyValidated, AddUniqueConstraint, AddCheckConstraintValidated, Rename, Drop, CreateTableClosed,
        UnsafeRawMigrationSql, AddIdentityColumn, ConcurrentlyInTransaction, DdlWithoutLockTimeout, DetachPartitionNotConcurrently,
        SqlSyntaxError, DropDatabase, DropNotNull, TransactionNesting, UncommittedTransaction, StatementWithoutTimeout, NotRerunnable,
        NarrowIntegerKey, SerialColumn, LimitedVarchar, TimestampWithoutTimeZone, CharColumn, IdentifierTooLong, UnorderedEnumValue,
        AlterDomainAddConstraint, DomainWithConstraint, ColumnNamedTwice, UnqualifiedTable,
    };

    /// <summary>Where a rule's documentation lives.</summary>
    public static string HelpLink(string id) => "https://github.com/pgdiscipline/pgdiscipline/blob/main/docs/rules/" + id + ".md";
}
