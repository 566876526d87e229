namespace PgDiscipline.Sql.Migrations;

/// <summary>PGD329 (squawk: identifier-too-long): PostgreSQL truncates identifiers to 63 bytes with only a NOTICE, so two
/// long names can become one, and the name in the catalog is not the one the code uses.</summary>
internal sealed class IdentifierTooLong : MigrationRule
{
    private const int MaxBytes = 63;

    public IdentifierTooLong()
        : base(RuleIdentifiers.IdentifierTooLong)
    {
    }

    public override void Check(SchemaOperation operation, RuleContext context)
    {
        if (operation is not LongIdentifiers names)
        {
            return;
        }

        foreach (var name in names.Identifiers)
        {
            var bytes = SchemaNames.Utf8Length(name);
            if (bytes > MaxBytes)
            {
                context.Report(operation, $"The identifier {name} is {bytes} bytes long: PostgreSQL silently truncates it to {MaxBytes}, so the catalog holds another name than the code uses (and two long names can become one). Shorten it.");
            }
        }
    }
}
