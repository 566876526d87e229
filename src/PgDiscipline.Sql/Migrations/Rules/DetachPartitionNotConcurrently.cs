namespace PgDiscipline.Sql.Migrations;

/// <summary>PGD316: DETACH PARTITION without CONCURRENTLY (PostgreSQL 14+) takes ACCESS EXCLUSIVE on the partitioned table.</summary>
internal sealed class DetachPartitionNotConcurrently : MigrationRule
{
    public DetachPartitionNotConcurrently()
        : base(RuleIdentifiers.DetachPartitionNotConcurrently)
    {
    }

    public override void Check(SchemaOperation operation, RuleContext context)
    {
        if (operation is DetachPartition { Concurrently: false, Finalize: false, TableIsNew: false } detach && context.PostgresVersion >= 14)
        {
            context.Report(detach, $"DETACH PARTITION on {detach.Table} without CONCURRENTLY takes ACCESS EXCLUSIVE on the partitioned table (every query on it waits): use DETACH PARTITION … CONCURRENTLY (PostgreSQL 14+, outside a transaction).");
        }
    }
}
