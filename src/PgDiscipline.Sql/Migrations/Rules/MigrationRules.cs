namespace PgDiscipline.Sql.Migrations;

/// <summary>Every migration rule, one instance each, in id order: the one set both faces run.</summary>
internal static class MigrationRules
{
    public static readonly MigrationRule[] All =
    {
        new AlterColumnTypeRewrite(), new AddColumnVolatileDefault(), new NotNullOnExistingTable(), new CreateIndexNotConcurrently(),
        new DropIndexNotConcurrently(), new ForeignKeyValidated(), new UniqueConstraintBuild(), new CheckConstraintValidated(),
        new RenameBreaksApp(), new DropLosesData(), new CreateTableWhenClosed(), new UnsafeStatement(), new IdentityColumnOnExistingTable(),
        new ConcurrentlyInTransaction(), new LockWithoutTimeout(), new DetachPartitionNotConcurrently(), new SqlSyntaxError(),
        new DatabaseDropped(), new NotNullDropped(), new TransactionNesting(), new UncommittedTransaction(), new StatementWithoutTimeout(),
        new NotRerunnable(), new NarrowIntegerKey(), new SerialColumn(), new LimitedVarchar(), new TimestampWithoutTimeZone(),
        new CharColumn(), new IdentifierTooLong(), new UnorderedEnumValue(), new DomainConstraintAdded(), new DomainWithConstraint(),
        new ColumnNamedTwice(), new UnqualifiedTable(),
    };

    /// <summary>The rules <paramref name="options"/> leave on.</summary>
    public static MigrationRule[] Enabled(MigrationLintOptions options) => All.Where(r => !options.IsExcluded(r.Id)).ToArray();
}
