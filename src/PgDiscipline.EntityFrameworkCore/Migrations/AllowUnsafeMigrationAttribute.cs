namespace PgDiscipline;

/// <summary>
/// Allows one migration-safety rule (PGD301–PGD315) for one EF Core migration class, with a reason. Honoured by the
/// runtime migration guard (and by the analyzers). An empty reason does not allow anything.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class AllowUnsafeMigrationAttribute : Attribute
{
    /// <summary>Allows <paramref name="ruleId"/> (e.g. <c>"PGD304"</c>) for this migration.</summary>
    public AllowUnsafeMigrationAttribute(string ruleId) => RuleId = ruleId;

    /// <summary>The rule allowed.</summary>
    public string RuleId { get; }

    /// <summary>Why this is acceptable here (required: an empty reason allows nothing).</summary>
    public string? Reason { get; set; }
}
