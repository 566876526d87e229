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

    /// <summary>All ids, in order.</summary>
    public static readonly string[] All =
    {
        InvalidAnalyzerOption, TooManyJoins, CartesianInclude, QueryInLoop, RawSqlInjection, RawSqlCallSite,
        ReadWithoutRoutingIntent, ReplicaReadInTransaction, StaleReadAfterWrite, WriteInReplicaScope,
        AlterColumnTypeRewrite, AddColumnVolatileDefault, SetNotNull, CreateIndexNotConcurrently, DropIndexNotConcurrently,
        AddForeignKeyValidated, AddUniqueConstraint, AddCheckConstraintValidated, Rename, Drop, CreateTableClosed,
        UnsafeRawMigrationSql, AddIdentityColumn, ConcurrentlyInTransaction, DdlWithoutLockTimeout, DetachPartitionNotConcurrently,
        SqlSyntaxError,
    };

    /// <summary>Where a rule's documentation lives.</summary>
    public static string HelpLink(string id) => "https://github.com/pgdiscipline/pgdiscipline/blob/main/docs/rules/" + id + ".md";
}
