namespace PgDiscipline.Sql.Migrations;

/// <summary>PGD332 (squawk: ban-create-domain-with-constraint): a domain's constraint can only be changed by ALTER DOMAIN,
/// which checks every table using it; table CHECK constraints can be changed one table at a time, NOT VALID.</summary>
internal sealed class DomainWithConstraint : MigrationRule
{
    public DomainWithConstraint()
        : base(RuleIdentifiers.DomainWithConstraint)
    {
    }

    public override void Check(SchemaOperation operation, RuleContext context)
    {
        if (operation is CreateDomain { HasConstraint: true } create)
        {
            context.Report(create, $"Domain {create.Name} has a constraint: changing it later checks every table that uses the domain at once. Put the constraint on the columns' tables (CHECK … NOT VALID can then be added table by table).");
        }
    }
}
