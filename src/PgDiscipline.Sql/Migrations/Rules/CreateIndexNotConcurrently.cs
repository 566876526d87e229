namespace PgDiscipline.Sql.Migrations;

/// <summary>PGD304: an index built on an existing table without CONCURRENTLY holds SHARE (no writes) for the whole build.</summary>
internal sealed class CreateIndexNotConcurrently : MigrationRule
{
    public CreateIndexNotConcurrently()
        : base(RuleIdentifiers.CreateIndexNotConcurrently)
    {
    }

    public override void Check(SchemaOperation operation, RuleContext context)
    {
        if (operation is CreateIndex { Concurrently: false, TableIsNew: false } index)
        {
            context.Report(index, index.Source == OperationSource.EfCore
                ? $"Index '{index.Name}' on existing table {index.Table} is built without CONCURRENTLY and blocks writes for the whole build: add .Annotation(\"Npgsql:CreatedConcurrently\", true)"
                : $"CREATE INDEX on existing table {index.Table} without CONCURRENTLY blocks writes for the whole build: use CREATE INDEX CONCURRENTLY (outside a transaction).");
        }
    }
}
