using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace PgDiscipline.Analyzers;

/// <summary>Descriptors of the migration-safety rules (PGD301–PGD315).</summary>
public static class MigrationDescriptors
{
    private const string Category = "PgDiscipline.Migrations";

    /// <summary>PGD301.</summary>
    public static readonly DiagnosticDescriptor AlterColumnTypeRewrite = Create(RuleIdentifiers.AlterColumnTypeRewrite, "AlterColumn type change that rewrites the table",
        "Changing column '{0}' of {1} from {2} to {3} rewrites the table and its indexes under ACCESS EXCLUSIVE: add a new column, backfill, switch, drop the old one", DiagnosticSeverity.Warning);

    /// <summary>PGD302.</summary>
    public static readonly DiagnosticDescriptor AddColumnVolatileDefault = Create(RuleIdentifiers.AddColumnVolatileDefault, "AddColumn with a volatile default or a stored generated column",
        "Adding column '{0}' to {1} with {2} rewrites the table: add it without default, set the default, backfill in batches", DiagnosticSeverity.Warning);

    /// <summary>PGD303.</summary>
    public static readonly DiagnosticDescriptor SetNotNull = Create(RuleIdentifiers.SetNotNull, "Setting NOT NULL on an existing column",
        "Making '{0}' of {1} NOT NULL scans the whole table under ACCESS EXCLUSIVE: add CHECK (… IS NOT NULL) NOT VALID, VALIDATE it, then set NOT NULL", DiagnosticSeverity.Warning);

    /// <summary>PGD304.</summary>
    public static readonly DiagnosticDescriptor CreateIndexNotConcurrently = Create(RuleIdentifiers.CreateIndexNotConcurrently, "CreateIndex on an existing table without CONCURRENTLY",
        "Index '{0}' on existing table {1} is built without CONCURRENTLY and blocks writes for the whole build: add .Annotation(\"Npgsql:CreatedConcurrently\", true)", DiagnosticSeverity.Warning);

    /// <summary>PGD305.</summary>
    public static readonly DiagnosticDescriptor DropIndexNotConcurrently = Create(RuleIdentifiers.DropIndexNotConcurrently, "DropIndex without CONCURRENTLY",
        "Dropping index '{0}' of {1} takes ACCESS EXCLUSIVE: use Sql(\"DROP INDEX CONCURRENTLY …\", suppressTransaction: true)", DiagnosticSeverity.Warning);

    /// <summary>PGD306.</summary>
    public static readonly DiagnosticDescriptor AddForeignKeyValidated = Create(RuleIdentifiers.AddForeignKeyValidated, "AddForeignKey on an existing table without NOT VALID",
        "Foreign key '{0}' on existing table {1} validates every row while blocking writes: add it with Sql(\"… NOT VALID\") and VALIDATE CONSTRAINT in a later step", DiagnosticSeverity.Warning);

    /// <summary>PGD307.</summary>
    public static readonly DiagnosticDescriptor AddUniqueConstraint = Create(RuleIdentifiers.AddUniqueConstraint, "AddUniqueConstraint / AddPrimaryKey on an existing table",
        "Constraint '{0}' on existing table {1} builds its index under ACCESS EXCLUSIVE: create a unique index concurrently, then add the constraint USING INDEX", DiagnosticSeverity.Warning);

    /// <summary>PGD308.</summary>
    public static readonly DiagnosticDescriptor AddCheckConstraintValidated = Create(RuleIdentifiers.AddCheckConstraintValidated, "AddCheckConstraint on an existing table without NOT VALID",
        "Check constraint '{0}' on existing table {1} scans the table under ACCESS EXCLUSIVE: add it NOT VALID with Sql(…), then VALIDATE CONSTRAINT", DiagnosticSeverity.Warning);

    /// <summary>PGD309.</summary>
    public static readonly DiagnosticDescriptor Rename = Create(RuleIdentifiers.Rename, "RenameColumn / RenameTable",
        "Renaming in {0} breaks the running version of the app: add the new name, copy, switch the code, then drop the old one", DiagnosticSeverity.Warning);

    /// <summary>PGD310.</summary>
    public static readonly DiagnosticDescriptor Drop = Create(RuleIdentifiers.Drop, "DropColumn / DropTable",
        "Dropping {0} loses data and breaks the running version of the app: stop using it in one release, drop it in a later one", DiagnosticSeverity.Warning);

    /// <summary>PGD311.</summary>
    public static readonly DiagnosticDescriptor CreateTableClosed = Create(RuleIdentifiers.CreateTableClosed, "CreateTable in a database closed to new tables",
        "Table {0} would be created in a database closed to new tables (pgdiscipline.PGD311.enabled)", DiagnosticSeverity.Warning);

    /// <summary>PGD312.</summary>
    public static readonly DiagnosticDescriptor UnsafeRawMigrationSql = Create(RuleIdentifiers.UnsafeRawMigrationSql, "Unsafe raw SQL in a migration",
        "This Sql(…) is unsafe ({0}): {1}", DiagnosticSeverity.Warning);

    /// <summary>PGD313.</summary>
    public static readonly DiagnosticDescriptor AddIdentityColumn = Create(RuleIdentifiers.AddIdentityColumn, "Adding an identity/serial column to an existing table",
        "Adding identity column '{0}' to existing table {1} rewrites the table: add a nullable column, backfill in batches, then add the default", DiagnosticSeverity.Warning);

    /// <summary>PGD314.</summary>
    public static readonly DiagnosticDescriptor ConcurrentlyInTransaction = Create(RuleIdentifiers.ConcurrentlyInTransaction, "CONCURRENTLY inside a migration transaction",
        "CONCURRENTLY cannot run inside the migration's transaction: pass suppressTransaction: true", DiagnosticSeverity.Warning);

    /// <summary>All migration descriptors (PGD315 is reported by the SQL lint only).</summary>
    public static readonly ImmutableArray<DiagnosticDescriptor> All = ImmutableArray.Create(
        AlterColumnTypeRewrite, AddColumnVolatileDefault, SetNotNull, CreateIndexNotConcurrently, DropIndexNotConcurrently, AddForeignKeyValidated,
        AddUniqueConstraint, AddCheckConstraintValidated, Rename, Drop, CreateTableClosed, UnsafeRawMigrationSql, AddIdentityColumn, ConcurrentlyInTransaction);

    private static DiagnosticDescriptor Create(string id, string title, string message, DiagnosticSeverity severity)
        => new(id, title, message, Category, severity, isEnabledByDefault: true, description: null, helpLinkUri: RuleIdentifiers.HelpLink(id));
}
