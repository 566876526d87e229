namespace PgDiscipline.Sql.Migrations;

/// <summary>
/// Runs the enabled rules over a stream of schema operations: each operation is resolved against the history (is its
/// table new, what type did the column have), judged by every rule, then recorded in the history. Both front ends feed
/// it — the SQL reader (<see cref="MigrationLint"/>) and the analyzer's <c>MigrationBuilder</c> reader — so a rule has one
/// implementation for every face.
/// </summary>
internal sealed class MigrationRuleEngine
{
    private readonly MigrationLintState _state;
    private readonly MigrationRule[] _rules;
    private readonly RuleContext _context;

    public MigrationRuleEngine(MigrationLintOptions options, MigrationLintState state, Action<MigrationRule, SchemaOperation, string> report)
    {
        _state = state;
        _rules = MigrationRules.Enabled(options);
        Sink = report;
        _context = new RuleContext(options, state, (rule, op, message) => Sink(rule, op, message));
    }

    /// <summary>Where findings go (a front end may redirect them while it feeds the engine).</summary>
    public Action<MigrationRule, SchemaOperation, string> Sink { get; set; }

    public MigrationLintState State => _state;

    /// <summary>Records what <paramref name="operation"/> changes without judging it (earlier migrations of the history).</summary>
    public static void Record(MigrationLintState state, SchemaOperation operation)
    {
        state.Transaction.BeforeOperation();
        var resolved = state.History.Resolve(operation);
        state.History.Apply(resolved);
        state.Transaction.Apply(resolved);
    }

    public void Apply(SchemaOperation operation)
    {
        _state.Transaction.BeforeOperation();
        var resolved = _state.History.Resolve(operation);
        foreach (var rule in _rules)
        {
            _context.Rule = rule;
            rule.Check(resolved, _context);
        }

        _state.History.Apply(resolved);
        _state.Transaction.Apply(resolved);
    }

    public void EndOfScript()
    {
        foreach (var rule in _rules)
        {
            _context.Rule = rule;
            rule.EndOfScript(_context);
        }
    }
}
