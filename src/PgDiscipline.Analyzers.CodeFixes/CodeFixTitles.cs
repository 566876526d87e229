namespace PgDiscipline.Analyzers.CodeFixes;

/// <summary>Titles of the code fixes, shared by the fix providers and their tests (equivalence keys too).</summary>
public static class CodeFixTitles
{
    /// <summary>PGD102.</summary>
    public const string AddAsSplitQuery = "Add AsSplitQuery()";
    /// <summary>PGD104.</summary>
    public const string UseParameterizedSql = "Use the parameterised (interpolated) API";
    /// <summary>PGD201.</summary>
    public const string AddReadFromReplica = "Add ReadFromReplica()";
}
