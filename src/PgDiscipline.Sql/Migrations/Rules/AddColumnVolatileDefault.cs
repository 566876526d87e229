namespace PgDiscipline.Sql.Migrations;

/// <summary>PGD302: a column added to an existing table with a volatile default (every row gets its own value), a stored
/// generated column, or — before PostgreSQL 11 — any non-null default, rewrites the table under ACCESS EXCLUSIVE.</summary>
internal sealed class AddColumnVolatileDefault : MigrationRule
{
    public AddColumnVolatileDefault()
        : base(RuleIdentifiers.AddColumnVolatileDefault)
    {
    }

    public override void Check(SchemaOperation operation, RuleContext context)
    {
        if (operation is not AddColumn { TableIsNew: false } add || add.Definition.Serial || add.Definition.Identity)
        {
            return; // identity and serial columns are PGD313's
        }

        var column = add.Definition;
        var ef = add.Source == OperationSource.EfCore;
        if (column.StoredGenerated)
        {
            context.Report(add, ef
                ? $"Adding column '{column.Name}' to {add.Table} with a stored generated column rewrites the table: add it without default, set the default, backfill in batches"
                : $"Adding the stored generated column {column.Name} to {add.Table} rewrites the table under ACCESS EXCLUSIVE: compute it in the app, or add it nullable, backfill in batches, then use a trigger.");
            return;
        }

        if (!column.HasDefault || column.DefaultIsNull)
        {
            return;
        }

        foreach (var call in column.DefaultCalls)
        {
            if (PostgresNonVolatileFunctions.Names.Contains(call) || context.History.IsNonVolatile(call))
            {
                continue;
            }

            var known = PostgresFacts.IsVolatileFunction(call);
            context.Report(add, ef
                ? $"Adding column '{column.Name}' to {add.Table} with default {column.Default} rewrites the table: add it without default, set the default, backfill in batches"
                : known
                    ? $"Adding column {column.Name} to {add.Table} with the volatile default {call}() rewrites the table under ACCESS EXCLUSIVE: add it without default, set the default, backfill in batches."
                    : $"Adding column {column.Name} to {add.Table} with a default calling {call}() rewrites the table under ACCESS EXCLUSIVE: a function not built in is VOLATILE unless declared IMMUTABLE or STABLE (declare it so earlier in the script if it is), or add the column without default, set the default, backfill in batches.");
            return;
        }

        if (context.PostgresVersion < 11)
        {
            context.Report(add, $"Adding column {column.Name} to {add.Table} with a default rewrites the table under ACCESS EXCLUSIVE before PostgreSQL 11: add it without default, set the default, backfill in batches.");
        }
    }
}
