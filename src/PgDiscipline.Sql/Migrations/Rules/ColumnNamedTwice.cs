namespace PgDiscipline.Sql.Migrations;

/// <summary>PGD333 (squawk: ban-duplicate-column-assignments): a column assigned or defined twice in one statement —
/// <c>UPDATE … SET a = 1, a = 2</c>, <c>INSERT INTO t (a, a)</c>, <c>CREATE TABLE t (a int, a int)</c>, a view's
/// columns — which PostgreSQL rejects (42701, 42601), failing the migration.</summary>
internal sealed class ColumnNamedTwice : MigrationRule
{
    public ColumnNamedTwice()
        : base(RuleIdentifiers.ColumnNamedTwice)
    {
    }

    public override void Check(SchemaOperation operation, RuleContext context)
    {
        switch (operation)
        {
            case CreateTable create:
                Report(context, create, create.Columns.Select(c => new AssignedColumn(c.Name, false)));
                break;
            case CreateView view:
                Report(context, view, view.Columns.Select(c => new AssignedColumn(c, false)));
                break;
            case SelectInto into:
                Report(context, into, into.Columns.Select(c => new AssignedColumn(c, false)));
                break;
            case RowsChange change:
                Report(context, change, change.Assigned);
                break;
            case InsertRows insert:
                Report(context, insert, insert.Assigned);
                break;
        }
    }

    /// <summary>The name PostgreSQL keeps: its first 63 bytes (two longer names that share them are one column).</summary>
    private static string Truncated(string name)
    {
        if (name.Length <= 21 || SchemaNames.Utf8Length(name) <= 63)
        {
            return name;
        }

        var end = name.Length;
        while (SchemaNames.Utf8Length(name.Substring(0, end)) > 63)
        {
            end--;
        }

        return name.Substring(0, end);
    }

    private static void Report(RuleContext context, TableOperation operation, IEnumerable<AssignedColumn> columns)
    {
        foreach (var group in columns.GroupBy(c => Truncated(c.Name), StringComparer.Ordinal))
        {
            if (group.Count() > 1 && !group.All(c => c.Partial))
            {
                context.Report(operation, $"{operation.Verb} names column {group.Key} of {operation.Table} more than once: PostgreSQL rejects the statement, and the migration fails.");
            }
        }
    }
}
