namespace PgDiscipline.Sql.Migrations;

/// <summary>A timeout setting as far as statements can tell: set (and not 0), at session level, or by SET LOCAL (ending
/// with the transaction).</summary>
internal sealed class TimeoutSetting
{
    public bool Set { get; set; }

    public bool Session { get; set; }

    public bool Local { get; set; }

    public void Apply(bool on, bool local)
    {
        if (local)
        {
            Local = true;
        }
        else
        {
            Session = on;
        }

        Set = on;
    }

    public void Reset() => Set = Session = Local = false;

    /// <summary>The transaction ended: a SET LOCAL value is gone, a session value stays.</summary>
    public void EndTransaction()
    {
        if (Local)
        {
            Set = Session;
            Local = false;
        }
    }
}

/// <summary>Transaction and settings state: whether statements run inside a transaction (opened by the script's BEGIN,
/// or by the migration runner), the lock and statement timeouts in force, and the constraints added NOT VALID in the
/// transaction in progress.</summary>
internal sealed class TransactionState
{
    public bool InTransaction { get; set; }

    /// <summary>The transaction in progress was opened by the script's own BEGIN (not by the migration runner).</summary>
    public bool Explicit { get; set; }

    public TimeoutSetting LockTimeout { get; } = new();

    public TimeoutSetting StatementTimeout { get; } = new();

    /// <summary>Constraints added NOT VALID in the transaction in progress, by name.</summary>
    public Dictionary<string, (string Table, ConstraintKind Kind)> NotValid { get; } = new(StringComparer.Ordinal);

    /// <summary>Called before an operation: outside a transaction every earlier statement has committed.</summary>
    public void BeforeOperation()
    {
        if (!InTransaction)
        {
            NotValid.Clear();
        }
    }

    public void Apply(SchemaOperation operation)
    {
        switch (operation)
        {
            case TransactionControl { Kind: TransactionVerb.Begin }:
                if (!InTransaction)
                {
                    Explicit = true;
                }

                InTransaction = true;
                break;
            case TransactionControl { Kind: TransactionVerb.Commit or TransactionVerb.Rollback }:
                InTransaction = false;
                Explicit = false;
                NotValid.Clear();
                LockTimeout.EndTransaction();
                StatementTimeout.EndTransaction();
                break;
            case SetSetting set when Setting(set.Name) is { } timeout:
                timeout.Apply(!set.Off, set.Local && InTransaction);
                break;
            case ResetSetting reset when reset.Name == "all":
                LockTimeout.Reset();
                StatementTimeout.Reset();
                break;
            case ResetSetting reset when Setting(reset.Name) is { } timeout:
                timeout.Reset();
                break;
            case AddConstraint { NotValid: true, Name: { } name } add when InTransaction:
                NotValid[name] = (SchemaNames.Bare(add.Table), add.Kind);
                break;
        }
    }

    private TimeoutSetting? Setting(string name) => name switch
    {
        "lock_timeout" => LockTimeout,
        "statement_timeout" => StatementTimeout,
        _ => null,
    };
}
