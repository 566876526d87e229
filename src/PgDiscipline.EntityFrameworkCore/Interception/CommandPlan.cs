using PgDiscipline.Sql;

namespace PgDiscipline.Interception;

/// <summary>What the interceptors decided for one distinct command text, computed once per options/rules version.</summary>
internal sealed class CommandPlan
{
    public required long Version { get; init; }

    public required string Fingerprint { get; init; }

    /// <summary>What PgDiscipline.Sql knows about the text.</summary>
    public required SqlCommandInfo Info { get; init; }

    public required CompiledRule[] Rules { get; init; }

    /// <summary>Statement timeout from a tag or a Timeout rule (null: the configured default).</summary>
    public required TimeSpan? StatementTimeoutOverride { get; init; }

    /// <summary>Command text with the per-transaction <c>set_config</c> prefix, for commands outside an explicit transaction
    /// (null when nothing needs to be set).</summary>
    public required string? PrefixedOutsideTransaction { get; init; }

    /// <summary>The <c>set_config</c> statement of <see cref="PrefixedOutsideTransaction"/> on its own, or null.</summary>
    public required string? OutsidePrefixStatement { get; init; }

    /// <summary>The application's command text, unprefixed.</summary>
    public required string CommandText { get; init; }

    /// <summary>One INSERT/UPDATE/DELETE/MERGE statement: outside a transaction it can carry its own read-your-writes
    /// position capture in the same round trip (<see cref="WritePositionCapture"/>).</summary>
    public required bool CarriesPositionCapture { get; init; }

    /// <summary>A Coalesce rule or tag asks for it and the read is replica-safe (<see cref="ReadCoalescer"/>).</summary>
    public required bool Coalesce { get; init; }

    /// <summary>Command text with only the statement-timeout override, for commands inside an explicit transaction.</summary>
    public required string? PrefixedInsideTransaction { get; init; }

    /// <summary>Client-side command timeout aligned above the server's, or null.</summary>
    public required int? ClientTimeoutSeconds { get; init; }

    /// <summary>PgDiscipline.Sql says a replica can serve it.</summary>
    public required bool IsReplicaSafe { get; init; }

    /// <summary>The query's own routing intent (tags).</summary>
    public required ReadIntent Intent { get; init; }

    /// <summary>The query's own priority (tag).</summary>
    public required QueryPriority? Priority { get; init; }

    /// <summary>A Route rule's target (pool name or <c>primary</c>).</summary>
    public required string? RouteTo { get; init; }

    /// <summary>The text to run on a replica (with the timeout prefix when one is needed there).</summary>
    public required string ReplicaText { get; init; }

    public required bool ReplicaTextIsPrefixed { get; init; }

    /// <summary>Statistics entry of this fingerprint (null when statistics are off).</summary>
    public required FingerprintStatistics? Stats { get; init; }

    /// <summary>Counter of this text's call site (from <c>TagWithCallSite()</c>), or null.</summary>
    public required FingerprintStatistics.Counter? CallSite { get; init; }
}
