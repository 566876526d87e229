namespace PgDiscipline.Sql;

/// <summary>How bad a rule's finding is, the same in every face (analyzer, <c>pgdiscipline lint</c>, runtime migration guard):
/// the catalog's default (<see cref="RuleDescriptor.DefaultSeverity"/>) and each finding's (<see cref="LintFinding.Severity"/>).
/// Ordered: a higher value is more severe.</summary>
public enum RuleSeverity
{
    /// <summary>An inventory entry; never fails anything.</summary>
    Info,

    /// <summary>Worth a look; may be safe in context (breaks running code, loses data, or a missing safety net).</summary>
    Warning,

    /// <summary>Rewrites a table, holds a long lock on an existing table, or fails at run time. Fails the build
    /// (analyzer), exits 1 (lint), and is refused by the migration guard unless allowed.</summary>
    Error,
}
