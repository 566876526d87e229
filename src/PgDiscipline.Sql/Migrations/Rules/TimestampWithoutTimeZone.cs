namespace PgDiscipline.Sql.Migrations;

/// <summary>PGD327 (squawk: prefer-timestamptz): <c>timestamp</c> without time zone stores the wall-clock value and drops
/// the offset, so the same instant written from two time zones is stored as two different values.</summary>
internal sealed class TimestampWithoutTimeZone : MigrationRule
{
    public TimestampWithoutTimeZone()
        : base(RuleIdentifiers.TimestampWithoutTimeZone)
    {
    }

    public override void Check(SchemaOperation operation, RuleContext context)
    {
        foreach (var (op, column, type, _, _) in ColumnTypes.Declared(operation))
        {
            if (ColumnTypes.BaseName(type, out _, out _) is "timestamp" or "timestamp without time zone")
            {
                context.Report(op, $"Column {column} of {op.Table} is {type.Trim()}: it drops the UTC offset, so one instant written from two time zones is stored as two values. Use timestamptz (timestamp with time zone).");
            }
        }
    }
}
