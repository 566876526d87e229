namespace PgDiscipline.Sql.Migrations;

/// <summary>PGD311 (opt-in): CREATE TABLE in a database closed to new tables.</summary>
internal sealed class CreateTableWhenClosed : MigrationRule
{
    public CreateTableWhenClosed()
        : base(RuleIdentifiers.CreateTableClosed)
    {
    }

    public override void Check(SchemaOperation operation, RuleContext context)
    {
        if (operation is CreateTable { Temporary: false } create && context.Options.ClosedToNewTables)
        {
            context.Report(create, create.Source == OperationSource.EfCore
                ? $"Table {create.Table} would be created in a database closed to new tables (pgdiscipline.PGD311.enabled)"
                : $"CREATE TABLE {create.Table}: this database is closed to new tables.");
        }
    }
}
