namespace PgDiscipline.Sql.Migrations;

/// <summary>PGD324 (squawk: prefer-bigint-over-int, prefer-bigint-over-smallint): a key (primary key, identity, serial,
/// foreign key, or a column named like one) of a 32- or 16-bit integer type. When it runs out, the only fix is changing it
/// to bigint — a rewrite of the table, of every index holding it and of every referencing column, under ACCESS EXCLUSIVE,
/// at the worst time. Other integer columns are not keys and are left alone.</summary>
internal sealed class NarrowIntegerKey : MigrationRule
{
    private static readonly HashSet<string> Narrow = new(StringComparer.Ordinal)
    {
        "int", "integer", "int4", "serial", "serial4", "smallint", "int2", "smallserial", "serial2",
    };

    public NarrowIntegerKey()
        : base(RuleIdentifiers.NarrowIntegerKey)
    {
    }

    public override void Check(SchemaOperation operation, RuleContext context)
    {
        foreach (var (op, column, type, _, key) in ColumnTypes.Declared(operation))
        {
            if (key && Narrow.Contains(ColumnTypes.BaseName(type, out var array, out _)) && !array)
            {
                context.Report(op, $"Key column {column} of {op.Table} is {type.Trim()}: when its values run out, changing it to bigint rewrites the table, its indexes and every referencing column under ACCESS EXCLUSIVE. Use bigint now.");
            }
        }
    }
}
