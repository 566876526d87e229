namespace PgDiscipline.Sql.Migrations;

/// <summary>PGD309: renaming a column or table of an existing table breaks the version of the application still running.</summary>
internal sealed class RenameBreaksApp : MigrationRule
{
    public RenameBreaksApp()
        : base(RuleIdentifiers.Rename)
    {
    }

    public override void Check(SchemaOperation operation, RuleContext context)
    {
        if (operation is not (RenameColumn or RenameTable) || ((TableOperation)operation).TableIsNew)
        {
            return;
        }

        var table = ((TableOperation)operation).Table;
        context.Report(operation, operation.Source == OperationSource.EfCore
            ? $"Renaming in {table} breaks the running version of the app: add the new name, copy, switch the code, then drop the old one"
            : $"Renaming {(operation is RenameTable ? "table" : "a column of")} {table} breaks the running version of the app: add the new name, copy, switch the code, then drop the old one.");
    }
}
