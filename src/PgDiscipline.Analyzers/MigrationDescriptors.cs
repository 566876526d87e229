using System;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace PgDiscipline.Analyzers;

/// <summary>Descriptors of the migration-safety rules (PGD301–PGD317); id, title, category, severity and help link come
/// from <see cref="RuleCatalog"/>.</summary>
internal static class MigrationDescriptors
{
    private const string RawSqlMessage = "Sql(…): {0}";

    /// <summary>PGD301.</summary>
    public static readonly DiagnosticDescriptor AlterColumnTypeRewrite = Create(RuleIdentifiers.AlterColumnTypeRewrite,
        "Changing column '{0}' of {1} from {2} to {3} rewrites the table and its indexes under ACCESS EXCLUSIVE{4}: add a new column, backfill, switch, drop the old one");

    /// <summary>PGD302.</summary>
    public static readonly DiagnosticDescriptor AddColumnVolatileDefault = Create(RuleIdentifiers.AddColumnVolatileDefault,
        "Adding column '{0}' to {1} with {2} rewrites the table: add it without default, set the default, backfill in batches");

    /// <summary>PGD303.</summary>
    public static readonly DiagnosticDescriptor SetNotNull = Create(RuleIdentifiers.SetNotNull,
        "Making '{0}' of {1} NOT NULL scans the whole table under ACCESS EXCLUSIVE: add CHECK (… IS NOT NULL) NOT VALID, VALIDATE it, then set NOT NULL");

    /// <summary>PGD304.</summary>
    public static readonly DiagnosticDescriptor CreateIndexNotConcurrently = Create(RuleIdentifiers.CreateIndexNotConcurrently,
        "Index '{0}' on existing table {1} is built without CONCURRENTLY and blocks writes for the whole build: add .Annotation(\"Npgsql:CreatedConcurrently\", true)");

    /// <summary>PGD305.</summary>
    public static readonly DiagnosticDescriptor DropIndexNotConcurrently = Create(RuleIdentifiers.DropIndexNotConcurrently,
        "Dropping index '{0}' of {1} takes ACCESS EXCLUSIVE: use Sql(\"DROP INDEX CONCURRENTLY …\", suppressTransaction: true)");

    /// <summary>PGD306.</summary>
    public static readonly DiagnosticDescriptor AddForeignKeyValidated = Create(RuleIdentifiers.AddForeignKeyValidated,
        "Foreign key '{0}' on existing table {1} validates every row while blocking writes: add it with Sql(\"… NOT VALID\") and VALIDATE CONSTRAINT in a later step");

    /// <summary>PGD307.</summary>
    public static readonly DiagnosticDescriptor AddUniqueConstraint = Create(RuleIdentifiers.AddUniqueConstraint,
        "Constraint '{0}' on existing table {1} builds its index under ACCESS EXCLUSIVE: create a unique index concurrently, then add the constraint USING INDEX");

    /// <summary>PGD308.</summary>
    public static readonly DiagnosticDescriptor AddCheckConstraintValidated = Create(RuleIdentifiers.AddCheckConstraintValidated,
        "Check constraint '{0}' on existing table {1} scans the table under ACCESS EXCLUSIVE: add it NOT VALID with Sql(…), then VALIDATE CONSTRAINT");

    /// <summary>PGD309.</summary>
    public static readonly DiagnosticDescriptor Rename = Create(RuleIdentifiers.Rename,
        "Renaming in {0} breaks the running version of the app: add the new name, copy, switch the code, then drop the old one");

    /// <summary>PGD310.</summary>
    public static readonly DiagnosticDescriptor Drop = Create(RuleIdentifiers.Drop,
        "Dropping {0} loses data and breaks the running version of the app: stop using it in one release, drop it in a later one");

    /// <summary>PGD311.</summary>
    public static readonly DiagnosticDescriptor CreateTableClosed = Create(RuleIdentifiers.CreateTableClosed,
        "Table {0} would be created in a database closed to new tables (pgdiscipline.PGD311.enabled)");

    /// <summary>PGD312: statements only raw SQL can write (VACUUM FULL, CLUSTER, LOCK TABLE, TRUNCATE, UPDATE/DELETE without
    /// WHERE, REINDEX, REFRESH MATERIALIZED VIEW without CONCURRENTLY).</summary>
    public static readonly DiagnosticDescriptor UnsafeRawMigrationSql = Create(RuleIdentifiers.UnsafeRawMigrationSql, RawSqlMessage);

    /// <summary>PGD316: DETACH PARTITION without CONCURRENTLY (raw SQL only).</summary>
    public static readonly DiagnosticDescriptor DetachPartitionNotConcurrently = Create(RuleIdentifiers.DetachPartitionNotConcurrently, RawSqlMessage);

    /// <summary>PGD317: raw SQL PostgreSQL cannot parse.</summary>
    public static readonly DiagnosticDescriptor SqlSyntaxError = Create(RuleIdentifiers.SqlSyntaxError, RawSqlMessage);

    /// <summary>PGD313.</summary>
    public static readonly DiagnosticDescriptor AddIdentityColumn = Create(RuleIdentifiers.AddIdentityColumn,
        "Adding identity column '{0}' to existing table {1} rewrites the table: add a nullable column, backfill in batches, then add the default");

    /// <summary>PGD314.</summary>
    public static readonly DiagnosticDescriptor ConcurrentlyInTransaction = Create(RuleIdentifiers.ConcurrentlyInTransaction,
        "CONCURRENTLY cannot run inside the migration's transaction: pass suppressTransaction: true");

    /// <summary>PGD303 for a column added NOT NULL without a default to an existing table.</summary>
    public static readonly DiagnosticDescriptor AddNotNullColumnWithoutDefault = Create(RuleIdentifiers.SetNotNull,
        "Adding NOT NULL column '{0}' without a default to existing table {1} fails as soon as the table has a row: give it a constant default, or add it nullable, backfill in batches, then set NOT NULL");

    /// <summary>PGD313 for an existing column turned into an identity (or serial) column.</summary>
    public static readonly DiagnosticDescriptor AlterColumnToIdentity = Create(RuleIdentifiers.AddIdentityColumn,
        "Turning existing column '{0}' of {1} into an identity starts its sequence at 1 below the existing values (duplicate keys on the next inserts) and locks the table: restart the identity above max({0}) in the same migration, or keep the existing default");

    /// <summary>Raw <c>Sql(…)</c> findings, one descriptor per migration rule: a raw <c>CREATE INDEX</c> carries PGD304
    /// like a <c>CreateIndex</c> does, so severity settings and <c>[AllowUnsafeMigration]</c> mean the same for both.</summary>
    public static readonly ImmutableDictionary<string, DiagnosticDescriptor> RawSql = RuleCatalog.All
        .Where(r => r.Category == RuleCatalog.Migrations && r.Id != RuleIdentifiers.DdlWithoutLockTimeout)
        .ToImmutableDictionary(
            r => r.Id,
            r => r.Id switch
            {
                RuleIdentifiers.UnsafeRawMigrationSql => UnsafeRawMigrationSql,
                RuleIdentifiers.DetachPartitionNotConcurrently => DetachPartitionNotConcurrently,
                RuleIdentifiers.SqlSyntaxError => SqlSyntaxError,
                _ => Create(r.Id, RawSqlMessage),
            },
            StringComparer.Ordinal);

    /// <summary>All migration descriptors.</summary>
    public static readonly ImmutableArray<DiagnosticDescriptor> All = ImmutableArray.Create(
        AlterColumnTypeRewrite, AddColumnVolatileDefault, SetNotNull, CreateIndexNotConcurrently, DropIndexNotConcurrently, AddForeignKeyValidated,
        AddUniqueConstraint, AddCheckConstraintValidated, Rename, Drop, CreateTableClosed, AddIdentityColumn, ConcurrentlyInTransaction,
        AddNotNullColumnWithoutDefault, AlterColumnToIdentity).AddRange(RawSql.Values.OrderBy(d => d.Id, StringComparer.Ordinal));

    private static DiagnosticDescriptor Create(string id, string message) => DescriptorFactory.Create(RuleCatalog.Get(id), message);
}
