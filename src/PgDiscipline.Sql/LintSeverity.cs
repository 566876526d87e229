namespace PgDiscipline.Sql;

/// <summary>Severity of a lint finding.</summary>
public enum LintSeverity
{
    /// <summary>Worth a look; may be safe in context.</summary>
    Warning,

    /// <summary>Takes a long lock, rewrites a table, or fails at run time.</summary>
    Error,

    /// <summary>Schema design advice; never fails a run unless asked to (<c>--fail-on info</c>).</summary>
    Info,
}
