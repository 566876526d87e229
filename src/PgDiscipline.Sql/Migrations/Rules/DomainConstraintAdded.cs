namespace PgDiscipline.Sql.Migrations;

/// <summary>PGD331 (squawk: ban-alter-domain-with-add-constraint): ALTER DOMAIN … ADD CONSTRAINT checks every column of
/// the domain in every table, each under SHARE (writes wait), unless it is added NOT VALID.</summary>
internal sealed class DomainConstraintAdded : MigrationRule
{
    public DomainConstraintAdded()
        : base(RuleIdentifiers.AlterDomainAddConstraint)
    {
    }

    public override void Check(SchemaOperation operation, RuleContext context)
    {
        if (operation is AlterDomainAddConstraint { NotValid: false } alter)
        {
            context.Report(alter, $"ALTER DOMAIN {alter.Name} ADD CONSTRAINT scans every column of the domain in every table, blocking writes to each while it does: add it NOT VALID, then ALTER DOMAIN … VALIDATE CONSTRAINT (or use table CHECK constraints).");
        }
    }
}
