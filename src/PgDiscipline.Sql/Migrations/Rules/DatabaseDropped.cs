namespace PgDiscipline.Sql.Migrations;

/// <summary>PGD318 (squawk: ban-drop-database): DROP DATABASE in a migration loses a whole database.</summary>
internal sealed class DatabaseDropped : MigrationRule
{
    public DatabaseDropped()
        : base(RuleIdentifiers.DropDatabase)
    {
    }

    public override void Check(SchemaOperation operation, RuleContext context)
    {
        if (operation is DropDatabase drop)
        {
            context.Report(drop, $"DROP DATABASE {drop.Name} deletes a whole database, and every client of it fails: no migration should do that.");
        }
    }
}
