namespace PgDiscipline.Sql.Migrations;

/// <summary>PGD310: dropping a column or table of an existing table loses data and breaks the running version of the app.</summary>
internal sealed class DropLosesData : MigrationRule
{
    public DropLosesData()
        : base(RuleIdentifiers.Drop)
    {
    }

    public override void Check(SchemaOperation operation, RuleContext context)
    {
        var ef = operation.Source == OperationSource.EfCore;
        switch (operation)
        {
            case DropTable { TableIsNew: false } drop:
                context.Report(drop, ef
                    ? $"Dropping table {drop.Table} loses data and breaks the running version of the app: stop using it in one release, drop it in a later one"
                    : $"DROP TABLE {drop.Table} loses data and breaks the running version of the app: stop using it in one release, drop it in a later one.");
                return;
            case DropColumn { TableIsNew: false } drop:
                context.Report(drop, ef
                    ? $"Dropping column {drop.Column} of {drop.Table} loses data and breaks the running version of the app: stop using it in one release, drop it in a later one"
                    : $"DROP COLUMN on {drop.Table} breaks the running version of the app (and loses data): stop using the column first, drop it in a later release.");
                return;
        }
    }
}
