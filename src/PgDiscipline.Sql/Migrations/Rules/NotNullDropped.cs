namespace PgDiscipline.Sql.Migrations;

/// <summary>PGD319 (squawk: ban-drop-not-null): dropping NOT NULL on an existing column lets NULLs in that the running
/// version of the application does not expect when it reads them.</summary>
internal sealed class NotNullDropped : MigrationRule
{
    public NotNullDropped()
        : base(RuleIdentifiers.DropNotNull)
    {
    }

    public override void Check(SchemaOperation operation, RuleContext context)
    {
        if (operation is DropNotNull { TableIsNew: false } drop)
        {
            context.Report(drop, $"Dropping NOT NULL on {drop.Column} of {drop.Table} lets NULLs in that code reading the column may not expect: make every reader handle NULL first, in an earlier release.");
        }
    }
}
