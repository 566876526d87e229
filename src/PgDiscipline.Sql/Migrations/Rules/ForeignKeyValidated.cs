namespace PgDiscipline.Sql.Migrations;

/// <summary>PGD306: a foreign key validated while it is added checks every row under SHARE ROW EXCLUSIVE on both tables.
/// So does <c>ADD COLUMN … REFERENCES</c> with any explicit default — even <c>DEFAULT NULL</c> (PostgreSQL then checks every
/// row) — or a serial/identity/generated value; and a VALIDATE in the transaction that added the key NOT VALID holds the
/// ADD's locks through the scan.</summary>
internal sealed class ForeignKeyValidated : MigrationRule
{
    public ForeignKeyValidated()
        : base(RuleIdentifiers.AddForeignKeyValidated)
    {
    }

    public override void Check(SchemaOperation operation, RuleContext context)
    {
        switch (operation)
        {
            case AddConstraint { Kind: ConstraintKind.ForeignKey, NotValid: false, TableIsNew: false } add:
                context.Report(add, add.Source == OperationSource.EfCore
                    ? $"Foreign key '{add.Name}' on existing table {add.Table} validates every row while blocking writes: add it with Sql(\"… NOT VALID\") and VALIDATE CONSTRAINT in a later step"
                    : $"Adding a foreign key to {add.Table} validates every row while blocking writes on both tables: add it NOT VALID, then VALIDATE CONSTRAINT in a separate transaction.");
                return;
            case AddColumn { TableIsNew: false, Definition: { References: not null } column } add
                when column.HasDefault || column.Serial || column.Identity || column.StoredGenerated:
                context.Report(add, $"Adding column {column.Name} to {add.Table} with REFERENCES and a default (even DEFAULT NULL) or a generated value validates every row against the referenced table while both are locked: add the column without a default, then the foreign key NOT VALID, then VALIDATE CONSTRAINT separately.");
                return;
            case ValidateConstraint validate when context.Transaction.InTransaction
                && context.Transaction.NotValid.TryGetValue(validate.Name, out var added) && added.Kind == ConstraintKind.ForeignKey:
                context.Report(validate, ValidateMessage(validate));
                return;
        }
    }

    internal static string ValidateMessage(ValidateConstraint validate)
        => $"VALIDATE CONSTRAINT {validate.Name} in the transaction that added it NOT VALID: the validation scan runs while the ADD's lock on {validate.Table} is still held (until COMMIT). Validate in a transaction of its own.";
}
