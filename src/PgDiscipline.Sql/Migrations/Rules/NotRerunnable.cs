namespace PgDiscipline.Sql.Migrations;

/// <summary>PGD323 (squawk: prefer-robust-stmts; off by default): outside a transaction, a statement that fails when run a
/// second time — CREATE without IF NOT EXISTS, DROP without IF EXISTS, an ALTER TABLE action with no such guard — keeps a
/// migration that failed half way from being run again.</summary>
internal sealed class NotRerunnable : MigrationRule
{
    public NotRerunnable()
        : base(RuleIdentifiers.NotRerunnable)
    {
    }

    public override void Check(SchemaOperation operation, RuleContext context)
    {
        var dropped = context.State<Dictionary<string, bool>>(); // constraint name -> re-added since its guarded drop
        var inTransaction = context.Transaction.InTransaction;
        string? missing;
        switch (operation)
        {
            case DropConstraint drop:
                dropped[drop.Name] = false;
                missing = drop.IfExists ? null : "IF EXISTS";
                break;
            case AddConstraint { Name: { } name } when dropped.TryGetValue(name, out var readded) && !readded:
                dropped[name] = true; // the DROP … IF EXISTS before it makes it re-runnable, once
                return;
            case ValidateConstraint validate when dropped.ContainsKey(validate.Name):
                return;
            case AddColumn add:
                missing = add.IfNotExists ? null : "IF NOT EXISTS";
                break;
            case DropColumn drop:
                missing = drop.IfExists ? null : "IF EXISTS";
                break;
            case AddConstraint or ValidateConstraint or AlterColumnType or SetNotNull or DropNotNull or RenameColumn or RenameTable
                or AddIdentity or OtherTableAction or DetachPartition:
                missing = "a transaction";
                break;
            case CreateIndex { Name: not null, IfNotExists: false } index when index.Concurrently || !inTransaction:
                Report(context, index, "IF NOT EXISTS");
                return;
            case CreateTable { IfNotExists: false } create when !(create.Temporary && create.DroppedOnCommit):
                missing = "IF NOT EXISTS";
                break;
            case DropIndex { IfExists: false }:
            case DropTable { IfExists: false }:
            case DropType { IfExists: false }:
                missing = "IF EXISTS";
                break;
            default:
                return;
        }

        if (missing is not null && !inTransaction)
        {
            Report(context, operation, missing);
        }
    }

    private static void Report(RuleContext context, SchemaOperation operation, string missing)
        => context.Report(operation, missing == "a transaction"
            ? $"{operation.Verb} outside a transaction cannot be run again if the migration fails after it: run the migration in a transaction."
            : $"{operation.Verb} without {missing} outside a transaction fails when the migration is run again after failing part way: add {missing}, or run the migration in a transaction.");
}
