namespace PgDiscipline.Sql.Migrations;

/// <summary>PGD334 (squawk: require-table-schema; off by default): a table named without its schema is resolved through
/// the session's search_path, so the same migration can change another schema's table.</summary>
internal sealed class UnqualifiedTable : MigrationRule
{
    public UnqualifiedTable()
        : base(RuleIdentifiers.UnqualifiedTable)
    {
    }

    public override void Check(SchemaOperation operation, RuleContext context)
    {
        var table = operation switch
        {
            CreateTable { Temporary: false } create => create,
            DropTable drop => drop,
            AddColumn or DropColumn or AlterColumnType or SetNotNull or DropNotNull or RenameColumn or RenameTable or AddIdentity
                or AddConstraint or ValidateConstraint or DropConstraint or OtherTableAction or DetachPartition => (TableOperation)operation,
            _ => null,
        };
        var last = context.State<LastStatement>();
        if (table is null || table.Qualified || (last.Statement == table.Statement && last.Seen))
        {
            return;
        }

        last.Statement = table.Statement;
        last.Seen = true;
        context.Report(table, $"{table.Verb} names table {table.Table} without its schema: it is found through the session's search_path. Write schema.{table.Table}.");
    }

    private sealed class LastStatement
    {
        public int Statement { get; set; }

        public bool Seen { get; set; }
    }
}
