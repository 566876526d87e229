namespace PgDiscipline.Sql.Migrations;

/// <summary>
/// One migration rule: the only place its decision is made. Both faces run it — <c>pgdiscipline lint</c> and the runtime
/// migration guard over SQL statements, the analyzer over EF Core <c>MigrationBuilder</c> calls — through
/// <see cref="MigrationRuleEngine"/>, which hands it every <see cref="SchemaOperation"/> in order, already resolved
/// against the schema history.
/// </summary>
internal abstract class MigrationRule
{
    protected MigrationRule(string id) => Id = id;

    /// <summary>The catalog id (PGDnnn).</summary>
    public string Id { get; }

    /// <summary>Judges <paramref name="operation"/>; reports through <paramref name="context"/>.</summary>
    public abstract void Check(SchemaOperation operation, RuleContext context);

    /// <summary>Called once at the end of each script (or migration).</summary>
    public virtual void EndOfScript(RuleContext context)
    {
    }
}

/// <summary>What a rule sees besides the operation: the options, the schema history, the transaction state, its own
/// state for this history, and where to report.</summary>
internal sealed class RuleContext
{
    private readonly MigrationLintState _state;
    private readonly Action<MigrationRule, SchemaOperation, string> _report;

    public RuleContext(MigrationLintOptions options, MigrationLintState state, Action<MigrationRule, SchemaOperation, string> report)
    {
        Options = options;
        _state = state;
        _report = report;
    }

    public MigrationLintOptions Options { get; }

    public int PostgresVersion => Options.PostgresVersion;

    public SchemaHistory History => _state.History;

    public TransactionState Transaction => _state.Transaction;

    /// <summary>The rule being run (set by the engine).</summary>
    internal MigrationRule Rule { get; set; } = null!;

    /// <summary>Not created (empty) earlier in this migration: the application may be using it.</summary>
    public bool IsExisting(string relation) => !History.IsNew(relation);

    /// <summary>The running rule's own state for this script (reset by <see cref="MigrationLintState.ForNextScript"/>).</summary>
    public T State<T>()
        where T : class, new()
    {
        if (!_state.RuleStates.TryGetValue(Rule.Id, out var state))
        {
            _state.RuleStates[Rule.Id] = state = new T();
        }

        return (T)state;
    }

    public void Report(SchemaOperation operation, string message) => _report(Rule, operation, message);
}
