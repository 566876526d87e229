namespace PgDiscipline.Sql.Migrations;

/// <summary>PGD321 (squawk: ban-uncommitted-transaction): a script that ends inside the transaction it began leaves the
/// work uncommitted — rolled back when the session ends, or holding its locks until it does.</summary>
internal sealed class UncommittedTransaction : MigrationRule
{
    public UncommittedTransaction()
        : base(RuleIdentifiers.UncommittedTransaction)
    {
    }

    public override void Check(SchemaOperation operation, RuleContext context)
    {
        if (operation is TransactionControl control)
        {
            var state = context.State<Open>();
            if (control.Kind == TransactionVerb.Begin && !context.Transaction.InTransaction)
            {
                state.Begin = control;
            }
            else if (control.Kind is TransactionVerb.Commit or TransactionVerb.Rollback)
            {
                state.Begin = null;
            }
        }
    }

    public override void EndOfScript(RuleContext context)
    {
        var state = context.State<Open>();
        if (state.Begin is { } begin)
        {
            state.Begin = null;
            context.Report(begin, "This BEGIN is never committed or rolled back: the script ends inside the transaction, so its work is rolled back when the session ends (and holds its locks until then). End it with COMMIT.");
        }
    }

    private sealed class Open
    {
        public TransactionControl? Begin { get; set; }
    }
}
