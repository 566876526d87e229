namespace PgDiscipline.Sql.Migrations;

/// <summary>PGD317: SQL PostgreSQL will reject (the reader's <see cref="Unparsable"/> operations).</summary>
internal sealed class SqlSyntaxError : MigrationRule
{
    public SqlSyntaxError()
        : base(RuleIdentifiers.SqlSyntaxError)
    {
    }

    public override void Check(SchemaOperation operation, RuleContext context)
    {
        if (operation is Unparsable unparsable)
        {
            context.Report(unparsable, unparsable.Message);
        }
    }
}
