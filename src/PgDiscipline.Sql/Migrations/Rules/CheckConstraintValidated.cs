namespace PgDiscipline.Sql.Migrations;

/// <summary>PGD308: a CHECK constraint added to an existing table without NOT VALID (or with a new column) scans it
/// under ACCESS EXCLUSIVE; a VALIDATE in the transaction that added it NOT VALID holds that lock through the scan.</summary>
internal sealed class CheckConstraintValidated : MigrationRule
{
    public CheckConstraintValidated()
        : base(RuleIdentifiers.AddCheckConstraintValidated)
    {
    }

    public override void Check(SchemaOperation operation, RuleContext context)
    {
        switch (operation)
        {
            case AddConstraint { Kind: ConstraintKind.Check, NotValid: false, TableIsNew: false } add:
                context.Report(add, add.Source == OperationSource.EfCore
                    ? $"Check constraint '{add.Name}' on existing table {add.Table} scans the table under ACCESS EXCLUSIVE: add it NOT VALID with Sql(…), then VALIDATE CONSTRAINT"
                    : $"Adding a CHECK constraint to {add.Table} scans the table under ACCESS EXCLUSIVE: add it NOT VALID, then VALIDATE CONSTRAINT in a separate transaction.");
                return;
            case AddColumn { TableIsNew: false, Definition.Check: true } column:
                // Measured on PostgreSQL 15: ADD COLUMN … CHECK on 2M rows 238–335 ms against 1–7 ms without the CHECK (a
                // CHECK (c IS NOT NULL) fails with "violated by some row"): the new column's value is checked in every row.
                context.Report(column, $"Adding column {column.Column} with a CHECK constraint to {column.Table} checks every row under ACCESS EXCLUSIVE: add the column without it, then ADD CONSTRAINT … CHECK (…) NOT VALID and VALIDATE CONSTRAINT in a separate transaction.");
                return;
            case ValidateConstraint validate when context.Transaction.InTransaction
                && context.Transaction.NotValid.TryGetValue(validate.Name, out var added) && added.Kind == ConstraintKind.Check:
                context.Report(validate, ForeignKeyValidated.ValidateMessage(validate));
                return;
        }
    }
}
