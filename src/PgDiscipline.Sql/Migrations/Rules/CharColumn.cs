namespace PgDiscipline.Sql.Migrations;

/// <summary>PGD328 (squawk: ban-char-field): <c>char(n)</c> pads every value with spaces to n characters, and the padding
/// is ignored or not depending on the operator; it is never faster than <c>text</c>.</summary>
internal sealed class CharColumn : MigrationRule
{
    public CharColumn()
        : base(RuleIdentifiers.CharColumn)
    {
    }

    public override void Check(SchemaOperation operation, RuleContext context)
    {
        foreach (var (op, column, type, _, _) in ColumnTypes.Declared(operation))
        {
            if (ColumnTypes.BaseName(type, out _, out _) is "char" or "character" or "bpchar" or "nchar" or "national character")
            {
                context.Report(op, $"Column {column} of {op.Table} is {type.Trim()}: char(n) pads values with spaces and compares them inconsistently. Use text (or varchar).");
            }
        }
    }
}
