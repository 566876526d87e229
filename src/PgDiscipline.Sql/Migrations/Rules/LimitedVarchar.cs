namespace PgDiscipline.Sql.Migrations;

/// <summary>PGD326 (squawk: prefer-text-field; off by default): a <c>varchar(n)</c> limit can only be raised without a
/// rewrite; lowering it rewrites the table under ACCESS EXCLUSIVE. <c>text</c> with a CHECK on the length can be changed
/// with NOT VALID + VALIDATE instead.</summary>
internal sealed class LimitedVarchar : MigrationRule
{
    public LimitedVarchar()
        : base(RuleIdentifiers.LimitedVarchar)
    {
    }

    public override void Check(SchemaOperation operation, RuleContext context)
    {
        foreach (var (op, column, type, _, _) in ColumnTypes.Declared(operation))
        {
            var name = ColumnTypes.BaseName(type, out _, out var sized);
            if (sized && name is "varchar" or "character varying")
            {
                context.Report(op, $"Column {column} of {op.Table} is {type.Trim()}: lowering the limit later rewrites the table under ACCESS EXCLUSIVE. Use text with a CHECK (length(…) <= n) constraint, which can be changed NOT VALID and validated without blocking.");
            }
        }
    }
}
