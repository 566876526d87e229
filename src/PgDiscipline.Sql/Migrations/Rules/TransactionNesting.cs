namespace PgDiscipline.Sql.Migrations;

/// <summary>PGD320 (squawk: transaction-nesting): BEGIN inside a transaction only warns (there is no nesting), and the
/// next COMMIT ends the outer transaction — the migration runner's — early, so a failure after it leaves the migration
/// half applied; COMMIT without a transaction does nothing.</summary>
internal sealed class TransactionNesting : MigrationRule
{
    public TransactionNesting()
        : base(RuleIdentifiers.TransactionNesting)
    {
    }

    public override void Check(SchemaOperation operation, RuleContext context)
    {
        var transaction = context.Transaction;
        switch (operation)
        {
            case TransactionControl { Kind: TransactionVerb.Begin } begin when transaction.InTransaction:
                context.Report(begin, transaction.Explicit
                    ? "BEGIN inside a transaction already in progress: PostgreSQL does not nest transactions (it warns and goes on), so the next COMMIT ends the outer one. Use SAVEPOINT, or one BEGIN … COMMIT."
                    : "BEGIN inside the migration runner's transaction: PostgreSQL does not nest transactions, and the next COMMIT ends the runner's transaction early (a failure after it leaves the migration half applied). Leave transactions to the runner, or mark the file as not run in a transaction.");
                return;
            case TransactionControl { Kind: TransactionVerb.Commit or TransactionVerb.Rollback } end when transaction.InTransaction && !transaction.Explicit:
                context.Report(end, $"{end.Verb} ends the migration runner's transaction: what follows runs outside it, and a failure leaves the migration half applied. Leave transactions to the runner, or mark the file as not run in a transaction.");
                return;
            case TransactionControl { Kind: TransactionVerb.Commit or TransactionVerb.Rollback } end when !transaction.InTransaction:
                context.Report(end, $"{end.Verb} without a transaction in progress does nothing (PostgreSQL only warns): every statement before it has already committed on its own. BEGIN earlier, or remove it.");
                return;
        }
    }
}
