namespace PgDiscipline;

/// <summary>Thrown when a command matches a <c>Block</c> rule.</summary>
public sealed class QueryBlockedException : CommandRefusedException
{
    /// <summary>Creates the exception; the message names the fingerprint, the rule and the reason (never a literal value).</summary>
    public QueryBlockedException(string fingerprint, string ruleId, string reason)
        : base($"Query {fingerprint} is blocked by rule '{ruleId}': {reason}", fingerprint, ruleId)
    {
        Reason = reason;
    }

    /// <summary>Why the operator blocked this query pattern.</summary>
    public string Reason { get; }
}
