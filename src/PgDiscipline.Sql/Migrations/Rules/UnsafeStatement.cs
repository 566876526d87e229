namespace PgDiscipline.Sql.Migrations;

/// <summary>PGD312: statements that block the application for as long as they run — VACUUM FULL, CLUSTER, a blocking
/// LOCK TABLE, TRUNCATE, REINDEX and REFRESH MATERIALIZED VIEW without CONCURRENTLY — and UPDATE/DELETE of every row of
/// an existing table in one transaction.</summary>
internal sealed class UnsafeStatement : MigrationRule
{
    public UnsafeStatement()
        : base(RuleIdentifiers.UnsafeRawMigrationSql)
    {
    }

    public override void Check(SchemaOperation operation, RuleContext context)
    {
        switch (operation)
        {
            case Vacuum { Full: true } vacuum:
                context.Report(vacuum, "VACUUM FULL rewrites the table under ACCESS EXCLUSIVE (no read or write until it ends): use pg_repack (or REPACK … CONCURRENTLY on PostgreSQL 19+), or plain VACUUM.");
                return;
            case Cluster cluster:
                context.Report(cluster, "CLUSTER rewrites the table under ACCESS EXCLUSIVE (no read or write until it ends): use pg_repack (or REPACK … CONCURRENTLY on PostgreSQL 19+).");
                return;
            case LockTable { Mode: >= LockMode.Share } lockTable:
                var blocks = lockTable.Mode switch
                {
                    LockMode.AccessExclusive => "every query, reads included",
                    LockMode.Exclusive => "every write and SELECT … FOR UPDATE/SHARE",
                    _ => "every write",
                };
                context.Report(lockTable, $"LOCK TABLE {lockTable.Table} IN {LockText.Of(lockTable.Mode)} MODE blocks {blocks} until the transaction ends: take no explicit lock in a migration (each statement takes the lock it needs).");
                return;
            case Truncate { TableIsNew: false } truncate:
                context.Report(truncate, $"TRUNCATE {truncate.Table} takes ACCESS EXCLUSIVE and deletes every row{(truncate.Cascade ? " (CASCADE: of every table that references it too)" : string.Empty)}.");
                return;
            case RowsChange { HasWhere: false, TableIsNew: false } change:
                context.Report(change, $"{change.Verb} without WHERE on {change.Table} touches every row in one transaction: backfill in batches outside the migration (`pgdiscipline backfill run`, or BackfillRunner in the app).");
                return;
            case Reindex { Concurrently: false } reindex when reindex.Kind != "system":
                context.Report(reindex, $"REINDEX {reindex.Kind.ToUpperInvariant()} without CONCURRENTLY blocks writes to the table (and reads that would use the index) while it rebuilds: use REINDEX … CONCURRENTLY (PostgreSQL 12+, outside a transaction).");
                return;
            case RefreshMaterializedView { Concurrently: false, TableIsNew: false } refresh:
                context.Report(refresh, "REFRESH MATERIALIZED VIEW without CONCURRENTLY takes ACCESS EXCLUSIVE on the view (no read of it until it ends): use REFRESH MATERIALIZED VIEW CONCURRENTLY (needs a unique index on the view).");
                return;
        }
    }
}

/// <summary>Lock mode names as PostgreSQL writes them.</summary>
internal static class LockText
{
    public static string Of(LockMode mode) => mode switch
    {
        LockMode.AccessShare => "ACCESS SHARE",
        LockMode.RowShare => "ROW SHARE",
        LockMode.RowExclusive => "ROW EXCLUSIVE",
        LockMode.ShareUpdateExclusive => "SHARE UPDATE EXCLUSIVE",
        LockMode.Share => "SHARE",
        LockMode.ShareRowExclusive => "SHARE ROW EXCLUSIVE",
        LockMode.Exclusive => "EXCLUSIVE",
        LockMode.AccessExclusive => "ACCESS EXCLUSIVE",
        _ => "no",
    };
}
