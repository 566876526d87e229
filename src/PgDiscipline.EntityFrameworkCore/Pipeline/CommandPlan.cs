using PgDiscipline.Rules;
using PgDiscipline.Sql;
using PgDiscipline.Statistics;

namespace PgDiscipline.Pipeline;

/// <summary>What PgDiscipline decided for one distinct command text, computed once per options/rules version (by
/// <see cref="CommandPlanner"/>) and shared by every execution of that text.</summary>
internal sealed class CommandPlan
{
    private string? _outsideText;
    private string? _insideText;
    private string? _probeText;
    private string? _outsideProbeText;
    private readonly ICommandStage[]?[] _stages = new ICommandStage[]?[3];

    public required long Version { get; init; }

    public required string Fingerprint { get; init; }

    /// <summary>What PgDiscipline.Sql knows about the text.</summary>
    public required SqlCommandInfo Info { get; init; }

    public required CompiledRule[] Rules { get; init; }

    /// <summary>Statement timeout from a tag or a Timeout rule (null: the configured default).</summary>
    /// <summary>The timeouts a command of this text runs with (the override, else the options'; fixed per version).</summary>
    public required ExecutionTimeouts Timeouts { get; init; }

    public required TimeSpan? StatementTimeoutOverride { get; init; }

    /// <summary>The transaction-local <c>set_config</c> statement a command outside an explicit transaction starts with
    /// (PgBouncer mode, or a statement-timeout override), or null.</summary>
    public required string? OutsidePrefix { get; init; }

    /// <summary>The prefix inside an explicit transaction (only a statement-timeout override; the transaction interceptor
    /// set the rest when the transaction began), or null.</summary>
    public required string? InsidePrefix { get; init; }

    /// <summary>The application's command text, as EF Core gave it.</summary>
    public required string CommandText { get; init; }

    /// <summary>One INSERT/UPDATE/DELETE/MERGE statement: outside a transaction it can carry its own read-your-writes
    /// position capture in the same round trip.</summary>
    public required bool CarriesPositionCapture { get; init; }

    /// <summary>A Coalesce rule or tag asks for it and the read is replica-safe.</summary>
    public required bool Coalesce { get; init; }

    /// <summary>PgDiscipline.Sql says a replica can serve it.</summary>
    public required bool IsReplicaSafe { get; init; }

    /// <summary>The query's own routing intent (tags).</summary>
    public required ReadIntent Intent { get; init; }

    /// <summary>The query's own priority (tag).</summary>
    public required QueryPriority? Priority { get; init; }

    /// <summary>A Route rule's target (pool name or <c>primary</c>).</summary>
    public required string? RouteTo { get; init; }

    /// <summary>Statistics entry of this fingerprint (null when statistics are off).</summary>
    public required FingerprintStatistics? Stats { get; init; }

    /// <summary>Counter of this text's call site (from <c>TagWithCallSite()</c>), or null.</summary>
    public required FingerprintStatistics.Counter? CallSite { get; init; }

    /// <summary>The text to send for <paramref name="shape"/>: the prefix, the probe, then the application's text. The
    /// plan's own prefixes are composed once and kept; any other prefix (a migration's) is composed each time.</summary>
    public string TextFor(in CommandShape shape)
    {
        var prefix = shape.Prefix;
        if (prefix is null)
        {
            return shape.Probe ? _probeText ??= ShapeSql.ProbeStatement + CommandText : CommandText;
        }

        if (ReferenceEquals(prefix, OutsidePrefix))
        {
            return shape.Probe
                ? _outsideProbeText ??= prefix + ShapeSql.ProbeStatement + CommandText
                : _outsideText ??= prefix + CommandText;
        }

        if (ReferenceEquals(prefix, InsidePrefix) && !shape.Probe)
        {
            return _insideText ??= prefix + CommandText;
        }

        return prefix + (shape.Probe ? ShapeSql.ProbeStatement : "") + CommandText;
    }

    /// <summary>The stages that apply to this plan's commands run as <paramref name="kind"/>, once known (a planner and its
    /// pipeline are singletons of one runtime, so the stages kept here are always that pipeline's).</summary>
    public ICommandStage[]? StagesFor(ExecutionKind kind) => Volatile.Read(ref _stages[(int)kind]);

    /// <summary>Keeps the stages worked out for <paramref name="kind"/> (two threads working them out at once get equal arrays).</summary>
    public ICommandStage[] KeepStages(ExecutionKind kind, ICommandStage[] stages)
    {
        Volatile.Write(ref _stages[(int)kind], stages);
        return stages;
    }
}
