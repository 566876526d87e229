namespace PgDiscipline.Sql.Migrations;

/// <summary>PGD313: an identity or serial column added to an existing table rewrites it (every row gets a value); an
/// existing column turned into an identity starts its sequence at 1, below the values already there.</summary>
internal sealed class IdentityColumnOnExistingTable : MigrationRule
{
    public IdentityColumnOnExistingTable()
        : base(RuleIdentifiers.AddIdentityColumn)
    {
    }

    public override void Check(SchemaOperation operation, RuleContext context)
    {
        var ef = operation.Source == OperationSource.EfCore;
        switch (operation)
        {
            case AddColumn { TableIsNew: false, Definition: { } column } add when column.Serial || column.Identity:
                context.Report(add, ef
                    ? $"Adding identity column '{column.Name}' to existing table {add.Table} rewrites the table: add a nullable column, backfill in batches, then add the default"
                    : $"Adding an identity/serial column {column.Name} to {add.Table} rewrites the table under ACCESS EXCLUSIVE (every row gets a value): add a nullable column, backfill in batches, then add the default.");
                return;
            case AddIdentity { TableIsNew: false } identity:
                context.Report(identity, ef
                    ? $"Turning existing column '{identity.Column}' of {identity.Table} into an identity starts its sequence at 1 below the existing values (duplicate keys on the next inserts) and locks the table: restart the identity above max({identity.Column}) in the same migration, or keep the existing default"
                    : $"Turning column {identity.Column} of {identity.Table} into an identity starts its sequence at 1 below the existing values (duplicate keys on the next inserts) and locks the table: add the identity with START WITH above max(id), or keep the existing default.");
                return;
        }
    }
}
