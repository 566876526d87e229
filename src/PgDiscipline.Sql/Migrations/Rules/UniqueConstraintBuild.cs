namespace PgDiscipline.Sql.Migrations;

/// <summary>PGD307: a UNIQUE or PRIMARY KEY constraint added to an existing table builds its index under ACCESS
/// EXCLUSIVE (unless <c>USING INDEX</c> names one built concurrently).</summary>
internal sealed class UniqueConstraintBuild : MigrationRule
{
    public UniqueConstraintBuild()
        : base(RuleIdentifiers.AddUniqueConstraint)
    {
    }

    public override void Check(SchemaOperation operation, RuleContext context)
    {
        switch (operation)
        {
            case AddConstraint { Kind: ConstraintKind.Unique or ConstraintKind.PrimaryKey, UsingIndex: false, TableIsNew: false } add:
                context.Report(add, add.Source == OperationSource.EfCore
                    ? $"Constraint '{add.Name}' on existing table {add.Table} builds its index under ACCESS EXCLUSIVE: create a unique index concurrently, then add the constraint USING INDEX"
                    : $"Adding a UNIQUE/PRIMARY KEY constraint to {add.Table} builds its index under ACCESS EXCLUSIVE: CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT … USING INDEX.");
                return;
            case AddColumn { TableIsNew: false, Definition: { } column } add when column.PrimaryKey || column.Unique:
                context.Report(add, $"Adding column {column.Name} to {add.Table} with UNIQUE/PRIMARY KEY builds its index under ACCESS EXCLUSIVE: add the column, CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT … USING INDEX.");
                return;
        }
    }
}
