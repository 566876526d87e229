namespace PgDiscipline.Sql;

/// <summary>One finding of <see cref="MigrationLint"/>.</summary>
public sealed class LintFinding
{
    internal LintFinding(string ruleId, RuleSeverity severity, string message, int statementIndex, int offset, int line, int column)
    {
        RuleId = ruleId;
        Severity = severity;
        Message = message;
        StatementIndex = statementIndex;
        Offset = offset;
        Line = line;
        Column = column;
    }

    /// <summary>PGDnnn.</summary>
    public string RuleId { get; }

    /// <summary>Severity.</summary>
    public RuleSeverity Severity { get; }

    /// <summary>What is wrong and what to do instead (names tables and columns, never literal values).</summary>
    public string Message { get; }

    /// <summary>Zero-based index of the statement in the script.</summary>
    public int StatementIndex { get; }

    /// <summary>Character offset of the statement.</summary>
    public int Offset { get; }

    /// <summary>1-based line of the statement start.</summary>
    public int Line { get; }

    /// <summary>1-based column of the statement start.</summary>
    public int Column { get; }
}
