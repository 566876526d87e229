namespace PgDiscipline.Sql.Migrations;

/// <summary>PGD330 (squawk: require-enum-value-ordering; off by default): <c>ADD VALUE</c> without BEFORE or AFTER appends
/// the value, and an enum sorts by declaration order, so ORDER BY on the column changes meaning.</summary>
internal sealed class UnorderedEnumValue : MigrationRule
{
    public UnorderedEnumValue()
        : base(RuleIdentifiers.UnorderedEnumValue)
    {
    }

    public override void Check(SchemaOperation operation, RuleContext context)
    {
        if (operation is AddEnumValue { Positioned: false } add)
        {
            context.Report(add, $"ALTER TYPE {add.Type} ADD VALUE without BEFORE or AFTER puts the value last, and enum values sort in declaration order: say where it belongs.");
        }
    }
}
