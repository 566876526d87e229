namespace PgDiscipline.Sql;

/// <summary>One rule of the catalog.</summary>
public sealed class RuleDescriptor
{
    internal RuleDescriptor(string id, string title, string category, RuleSeverity severity, string? lockTaken, bool enabledByDefault = true)
    {
        EnabledByDefault = enabledByDefault;
        Id = id;
        Title = title;
        Category = category;
        DefaultSeverity = severity;
        LockTaken = lockTaken;
    }

    /// <summary>PGDnnn (a contract).</summary>
    public string Id { get; }

    /// <summary>Short title, as analyzers and the lint's SARIF show it.</summary>
    public string Title { get; }

    /// <summary><c>PgDiscipline.QueryShape</c>, <c>PgDiscipline.Routing</c>, <c>PgDiscipline.Migrations</c> or <c>PgDiscipline.MigrationStyle</c>.</summary>
    public string Category { get; }

    /// <summary>The severity every face uses unless the user configures another.</summary>
    public RuleSeverity DefaultSeverity { get; }

    /// <summary>Whether the rule runs unless configured otherwise (the noisiest style rules, and the statement_timeout
    /// requirement, are opt-in).</summary>
    public bool EnabledByDefault { get; }

    /// <summary>The heaviest table lock the flagged operation takes on an existing table, when it is about locks.</summary>
    public string? LockTaken { get; }

    /// <summary><c>docs/rules/PGDnnn.md</c>.</summary>
    public string HelpLink => RuleIdentifiers.HelpLink(Id);
}
