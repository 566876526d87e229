namespace PgDiscipline.Sql.Migrations;

/// <summary>PGD314: a CONCURRENTLY operation inside a transaction block fails (25001) at run time.</summary>
internal sealed class ConcurrentlyInTransaction : MigrationRule
{
    public ConcurrentlyInTransaction()
        : base(RuleIdentifiers.ConcurrentlyInTransaction)
    {
    }

    public override void Check(SchemaOperation operation, RuleContext context)
    {
        var concurrently = operation switch
        {
            CreateIndex index => index.Concurrently,
            DropIndex drop => drop.Concurrently,
            Reindex reindex => reindex.Concurrently,
            RefreshMaterializedView refresh => refresh.Concurrently,
            DetachPartition detach => detach.Concurrently,
            _ => false,
        };
        if (concurrently && context.Transaction.InTransaction)
        {
            context.Report(operation, operation.Source == OperationSource.EfCore
                ? "CONCURRENTLY cannot run inside the migration's transaction: pass suppressTransaction: true"
                : "CONCURRENTLY cannot run inside a transaction block: run this statement outside BEGIN/COMMIT (EF Core: suppressTransaction: true; a migration runner that wraps each file in a transaction needs the statement in a file of its own, or its no-transaction setting).");
        }
    }
}
