namespace PgDiscipline.Sql.Migrations;

/// <summary>PGD322 (squawk: require-statement-timeout; off by default): a statement that can run long — it locks an
/// existing relation, builds an index, validates a constraint or changes every row — with no statement_timeout, so
/// nothing bounds how long it holds what it took. Reported once per script.</summary>
internal sealed class StatementWithoutTimeout : MigrationRule
{
    public StatementWithoutTimeout()
        : base(RuleIdentifiers.StatementWithoutTimeout)
    {
    }

    public override void Check(SchemaOperation operation, RuleContext context)
    {
        var reported = context.State<Reported>();
        if (reported.Value || context.Transaction.StatementTimeout.Set || !MayRunLong(operation, context))
        {
            return;
        }

        reported.Value = true;
        context.Report(operation, $"{operation.Verb} can run long, or wait long for its lock, and there is no statement_timeout: nothing bounds how long it holds or waits for its locks. Put SET statement_timeout = '…' before it (the migration guard can set one: Migrations:StatementTimeout).");
    }

    private static bool MayRunLong(SchemaOperation operation, RuleContext context)
    {
        if (operation is CreateIndex or ValidateConstraint or RowsChange || operation is AddConstraint { NotValid: false })
        {
            return operation is not TableOperation { TableIsNew: true };
        }

        foreach (var held in operation.Locks)
        {
            if (held.Mode >= LockMode.ShareUpdateExclusive && context.IsExisting(held.Relation))
            {
                return true;
            }
        }

        return false;
    }

    private sealed class Reported
    {
        public bool Value { get; set; }
    }
}
