namespace PgDiscipline.Analyzers.CodeFixes;

/// <summary>Titles (and equivalence keys) of the code fixes.</summary>
internal static class CodeFixTitles
{
    /// <summary>PGD102.</summary>
    public const string AddAsSplitQuery = "Add AsSplitQuery()";

    /// <summary>PGD104.</summary>
    public const string UseParameterizedSql = "Use the parameterised (interpolated) API";

    /// <summary>PGD201.</summary>
    public const string AddReadFromReplica = "Add ReadFromReplica()";

    /// <summary>PGD201.</summary>
    public const string AddReadFromPrimary = "Add ReadFromPrimary(\"…\")";

    /// <summary>PGD202.</summary>
    public const string RemoveReadFromReplica = "Remove ReadFromReplica()";
}
