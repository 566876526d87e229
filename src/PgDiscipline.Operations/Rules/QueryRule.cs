namespace PgDiscipline;

/// <summary>One rule. It matches by exactly one of <see cref="Fingerprint"/>, <see cref="Tag"/> or <see cref="Table"/>.</summary>
public sealed class QueryRule
{
    /// <summary>Rule id, unique within its source; named in exceptions, logs and metrics.</summary>
    public string Id { get; set; } = "";

    /// <summary>The 16-hex-digit fingerprint the rule applies to (<c>pgdiscipline fingerprint "&lt;sql&gt;"</c> prints it).</summary>
    public string? Fingerprint { get; set; }

    /// <summary>A query tag (an EF Core <c>TagWith</c> line, compared exactly) the rule applies to.</summary>
    public string? Tag { get; set; }

    /// <summary>A table name (as <c>SqlStatement.Tables</c> reports it) the rule applies to.</summary>
    public string? Table { get; set; }

    /// <summary>What to do.</summary>
    public QueryRuleAction Action { get; set; }

    /// <summary>Why (shown in exceptions, logs and reports).</summary>
    public string Reason { get; set; } = "";

    /// <summary><see cref="QueryRuleAction.RateLimit"/>: permits per second.</summary>
    public double PermitsPerSecond { get; set; }

    /// <summary><see cref="QueryRuleAction.RateLimit"/>: bucket size (default: one second's worth, at least 1).</summary>
    public int? Burst { get; set; }

    /// <summary><see cref="QueryRuleAction.Concurrency"/>: commands in flight at most.</summary>
    public int MaxConcurrency { get; set; }

    /// <summary>RateLimit / Concurrency: how long a command may wait for a permit (default: not at all).</summary>
    public TimeSpan MaxQueueTime { get; set; }

    /// <summary><see cref="QueryRuleAction.Timeout"/>: the statement timeout to use.</summary>
    public TimeSpan? Timeout { get; set; }

    /// <summary><see cref="QueryRuleAction.Route"/>: a replica pool name, or <c>primary</c>.</summary>
    public string? RouteTo { get; set; }

    /// <summary>Optional expiry; the rule stops applying after it.</summary>
    public DateTimeOffset? ExpiresAt { get; set; }
}
