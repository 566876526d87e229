using System;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace PgDiscipline.Analyzers;

/// <summary>Descriptors of the migration rules the analyzer reports (every migration rule but the lock and statement
/// timeouts, which the runtime guard sets on every migration statement): one for findings on typed
/// <c>MigrationBuilder</c> calls and one for raw <c>Sql(…)</c>, per rule. Id, title, category, severity, whether it is on
/// by default and the help link come from <see cref="RuleCatalog"/>; the message is the rule's own (the same rule code
/// writes it for the lint).</summary>
internal static class MigrationDescriptors
{
    /// <summary>AlterColumnTypeRewrite.</summary>
    public static readonly DiagnosticDescriptor AlterColumnTypeRewrite = Create(RuleIdentifiers.AlterColumnTypeRewrite);

    /// <summary>AddColumnVolatileDefault.</summary>
    public static readonly DiagnosticDescriptor AddColumnVolatileDefault = Create(RuleIdentifiers.AddColumnVolatileDefault);

    /// <summary>SetNotNull.</summary>
    public static readonly DiagnosticDescriptor SetNotNull = Create(RuleIdentifiers.SetNotNull);

    /// <summary>CreateIndexNotConcurrently.</summary>
    public static readonly DiagnosticDescriptor CreateIndexNotConcurrently = Create(RuleIdentifiers.CreateIndexNotConcurrently);

    /// <summary>DropIndexNotConcurrently.</summary>
    public static readonly DiagnosticDescriptor DropIndexNotConcurrently = Create(RuleIdentifiers.DropIndexNotConcurrently);

    /// <summary>AddForeignKeyValidated.</summary>
    public static readonly DiagnosticDescriptor AddForeignKeyValidated = Create(RuleIdentifiers.AddForeignKeyValidated);

    /// <summary>AddUniqueConstraint.</summary>
    public static readonly DiagnosticDescriptor AddUniqueConstraint = Create(RuleIdentifiers.AddUniqueConstraint);

    /// <summary>AddCheckConstraintValidated.</summary>
    public static readonly DiagnosticDescriptor AddCheckConstraintValidated = Create(RuleIdentifiers.AddCheckConstraintValidated);

    /// <summary>Rename.</summary>
    public static readonly DiagnosticDescriptor Rename = Create(RuleIdentifiers.Rename);

    /// <summary>Drop.</summary>
    public static readonly DiagnosticDescriptor Drop = Create(RuleIdentifiers.Drop);

    /// <summary>CreateTableClosed.</summary>
    public static readonly DiagnosticDescriptor CreateTableClosed = Create(RuleIdentifiers.CreateTableClosed);

    /// <summary>UnsafeRawMigrationSql.</summary>
    public static readonly DiagnosticDescriptor UnsafeRawMigrationSql = Create(RuleIdentifiers.UnsafeRawMigrationSql);

    /// <summary>AddIdentityColumn.</summary>
    public static readonly DiagnosticDescriptor AddIdentityColumn = Create(RuleIdentifiers.AddIdentityColumn);

    /// <summary>ConcurrentlyInTransaction.</summary>
    public static readonly DiagnosticDescriptor ConcurrentlyInTransaction = Create(RuleIdentifiers.ConcurrentlyInTransaction);

    /// <summary>DetachPartitionNotConcurrently.</summary>
    public static readonly DiagnosticDescriptor DetachPartitionNotConcurrently = Create(RuleIdentifiers.DetachPartitionNotConcurrently);

    /// <summary>SqlSyntaxError.</summary>
    public static readonly DiagnosticDescriptor SqlSyntaxError = Create(RuleIdentifiers.SqlSyntaxError);

    /// <summary>DropDatabase.</summary>
    public static readonly DiagnosticDescriptor DropDatabase = Create(RuleIdentifiers.DropDatabase);

    /// <summary>DropNotNull.</summary>
    public static readonly DiagnosticDescriptor DropNotNull = Create(RuleIdentifiers.DropNotNull);

    /// <summary>TransactionNesting.</summary>
    public static readonly DiagnosticDescriptor TransactionNesting = Create(RuleIdentifiers.TransactionNesting);

    /// <summary>UncommittedTransaction.</summary>
    public static readonly DiagnosticDescriptor UncommittedTransaction = Create(RuleIdentifiers.UncommittedTransaction);

    /// <summary>NotRerunnable.</summary>
    public static readonly DiagnosticDescriptor NotRerunnable = Create(RuleIdentifiers.NotRerunnable);

    /// <summary>NarrowIntegerKey.</summary>
    public static readonly DiagnosticDescriptor NarrowIntegerKey = Create(RuleIdentifiers.NarrowIntegerKey);

    /// <summary>SerialColumn.</summary>
    public static readonly DiagnosticDescriptor SerialColumn = Create(RuleIdentifiers.SerialColumn);

    /// <summary>LimitedVarchar.</summary>
    public static readonly DiagnosticDescriptor LimitedVarchar = Create(RuleIdentifiers.LimitedVarchar);

    /// <summary>TimestampWithoutTimeZone.</summary>
    public static readonly DiagnosticDescriptor TimestampWithoutTimeZone = Create(RuleIdentifiers.TimestampWithoutTimeZone);

    /// <summary>CharColumn.</summary>
    public static readonly DiagnosticDescriptor CharColumn = Create(RuleIdentifiers.CharColumn);

    /// <summary>IdentifierTooLong.</summary>
    public static readonly DiagnosticDescriptor IdentifierTooLong = Create(RuleIdentifiers.IdentifierTooLong);

    /// <summary>UnorderedEnumValue.</summary>
    public static readonly DiagnosticDescriptor UnorderedEnumValue = Create(RuleIdentifiers.UnorderedEnumValue);

    /// <summary>AlterDomainAddConstraint.</summary>
    public static readonly DiagnosticDescriptor AlterDomainAddConstraint = Create(RuleIdentifiers.AlterDomainAddConstraint);

    /// <summary>DomainWithConstraint.</summary>
    public static readonly DiagnosticDescriptor DomainWithConstraint = Create(RuleIdentifiers.DomainWithConstraint);

    /// <summary>ColumnNamedTwice.</summary>
    public static readonly DiagnosticDescriptor ColumnNamedTwice = Create(RuleIdentifiers.ColumnNamedTwice);

    /// <summary>UnqualifiedTable.</summary>
    public static readonly DiagnosticDescriptor UnqualifiedTable = Create(RuleIdentifiers.UnqualifiedTable);

    /// <summary>Findings on typed calls, by rule id.</summary>
    public static readonly ImmutableDictionary<string, DiagnosticDescriptor> Typed = new[]
    {
        AlterColumnTypeRewrite, AddColumnVolatileDefault, SetNotNull, CreateIndexNotConcurrently, DropIndexNotConcurrently, AddForeignKeyValidated, AddUniqueConstraint, AddCheckConstraintValidated, Rename, Drop, CreateTableClosed, UnsafeRawMigrationSql, AddIdentityColumn, ConcurrentlyInTransaction, DetachPartitionNotConcurrently, SqlSyntaxError, DropDatabase, DropNotNull, TransactionNesting, UncommittedTransaction, NotRerunnable, NarrowIntegerKey, SerialColumn, LimitedVarchar, TimestampWithoutTimeZone, CharColumn, IdentifierTooLong, UnorderedEnumValue, AlterDomainAddConstraint, DomainWithConstraint, ColumnNamedTwice, UnqualifiedTable,
    }.ToImmutableDictionary(d => d.Id, StringComparer.Ordinal);

    /// <summary>Raw <c>Sql(…)</c> findings, by rule id: a raw <c>CREATE INDEX</c> carries PGD304 like a <c>CreateIndex</c>
    /// does, so severity settings and <c>[AllowUnsafeMigration]</c> mean the same for both.</summary>
    public static readonly ImmutableDictionary<string, DiagnosticDescriptor> RawSql =
        Typed.ToImmutableDictionary(p => p.Key, p => DescriptorFactory.Create(RuleCatalog.Get(p.Key), "Sql(…): {0}"), StringComparer.Ordinal);

    /// <summary>All migration descriptors.</summary>
    public static readonly ImmutableArray<DiagnosticDescriptor> All =
        Typed.Values.Concat(RawSql.Values).OrderBy(d => d.Id, StringComparer.Ordinal).ToImmutableArray();

    private static DiagnosticDescriptor Create(string id) => DescriptorFactory.Create(RuleCatalog.Get(id), "{0}");
}
