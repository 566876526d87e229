namespace PgDiscipline.Sql.Migrations;

/// <summary>PGD301: a column type change on an existing table that is not binary-coercible rewrites the table and its
/// indexes under ACCESS EXCLUSIVE. Judged from the old type (the call's, or the history's) and the new one; a
/// <c>USING</c> that is only the column cast to the new type converts the same way as no <c>USING</c>.</summary>
internal sealed class AlterColumnTypeRewrite : MigrationRule
{
    public AlterColumnTypeRewrite()
        : base(RuleIdentifiers.AlterColumnTypeRewrite)
    {
    }

    public override void Check(SchemaOperation operation, RuleContext context)
    {
        if (operation is not AlterColumnType alter || alter.TableIsNew)
        {
            return;
        }

        var plain = alter.Using is null || alter.UsingIsPlainCast;
        if (alter.OldType is { } oldType)
        {
            if (plain && !alter.HasCollate && PostgresFacts.IsBinaryCoercible(oldType, alter.NewType))
            {
                return; // no rewrite, no index rebuild
            }

            if (plain && !alter.HasCollate && PostgresFacts.RebuildsIndexesOnly(oldType, alter.NewType))
            {
                if (context.History.IsIndexed(alter.Table, alter.Column))
                {
                    context.Report(alter, $"Changing column {alter.Column} of {alter.Table} from {oldType} to {alter.NewType} keeps the table's data but rebuilds the indexes on the column under ACCESS EXCLUSIVE (the two types index with different operator classes): build the new index concurrently on a new column, or change the type while the table is small.");
                }

                return; // no index on it that the history knows of: nothing is rewritten
            }

            var note = PostgresFacts.TypeChangeNote(oldType, alter.NewType);
            var suffix = note is null ? string.Empty : " (" + note + ")";
            context.Report(alter, alter.Source == OperationSource.EfCore
                ? $"Changing column '{alter.Column}' of {alter.Table} from {oldType} to {alter.NewType} rewrites the table and its indexes under ACCESS EXCLUSIVE{suffix}: add a new column, backfill, switch, drop the old one"
                : $"Changing column {alter.Column} of {alter.Table} from {oldType} to {alter.NewType} rewrites the table and its indexes under ACCESS EXCLUSIVE{suffix}: add a new column, backfill in batches, switch, drop the old one.");
            return;
        }

        if (alter.TypeRestated)
        {
            return; // AlterColumn restates the column's type with every change: without the old type there is no change to judge
        }

        context.Report(alter, $"Changing a column type in {alter.Table} rewrites the table and its indexes under ACCESS EXCLUSIVE unless the change is binary-coercible (varchar length increase or removal, varchar -> text, citext <-> text, numeric precision increase at the same scale, timestamp/time/interval precision increase, cidr -> inet; timestamp -> timestamptz only with TimeZone UTC).");
    }
}
