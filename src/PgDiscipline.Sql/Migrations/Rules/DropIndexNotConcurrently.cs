namespace PgDiscipline.Sql.Migrations;

/// <summary>PGD305: DROP INDEX without CONCURRENTLY takes ACCESS EXCLUSIVE on the index's table.</summary>
internal sealed class DropIndexNotConcurrently : MigrationRule
{
    public DropIndexNotConcurrently()
        : base(RuleIdentifiers.DropIndexNotConcurrently)
    {
    }

    public override void Check(SchemaOperation operation, RuleContext context)
    {
        if (operation is DropIndex { Concurrently: false, TableIsNew: false } drop)
        {
            context.Report(drop, drop.Source == OperationSource.EfCore
                ? $"Dropping index '{drop.Name}' of {drop.Table} takes ACCESS EXCLUSIVE: use Sql(\"DROP INDEX CONCURRENTLY …\", suppressTransaction: true)"
                : "DROP INDEX without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the table: use DROP INDEX CONCURRENTLY (outside a transaction).");
        }
    }
}
