namespace PgDiscipline.Sql.Migrations;

/// <summary>PGD315: a statement that takes a lock the application's reads or writes conflict with, on a relation that
/// exists, with no lock_timeout in force: while it waits for its lock every conflicting query queues behind it. Reported
/// once per transaction (or per script outside one).</summary>
internal sealed class LockWithoutTimeout : MigrationRule
{
    public LockWithoutTimeout()
        : base(RuleIdentifiers.DdlWithoutLockTimeout)
    {
    }

    public override void Check(SchemaOperation operation, RuleContext context)
    {
        var state = context.State<Reported>();
        if (operation is TransactionControl { Kind: not TransactionVerb.Savepoint })
        {
            state.Value = false; // once per transaction block
            return;
        }

        if (state.Value || !context.Options.RequireLockTimeout || context.Transaction.LockTimeout.Set)
        {
            return;
        }

        foreach (var held in operation.Locks)
        {
            if (held.BlocksApplication && context.IsExisting(held.Relation))
            {
                state.Value = true;
                context.Report(operation, $"{operation.Verb} takes {LockText.Of(held.Mode)} on {held.Relation} without a lock_timeout: while it waits for its lock, every query that conflicts with it queues behind it ({(held.Mode == LockMode.AccessExclusive ? "reads and writes" : "writes")}). Put SET lock_timeout = '5s' before it (and retry on timeout).");
                return;
            }
        }
    }

    private sealed class Reported
    {
        public bool Value { get; set; }
    }
}
