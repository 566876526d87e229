using Microsoft.CodeAnalysis;

namespace PgDiscipline.Analyzers;

/// <summary>Every descriptor PgDiscipline reports. Help links point at docs/rules/PGDnnn.md.</summary>
public static class DiagnosticDescriptors
{
    private const string QueryShape = "PgDiscipline.QueryShape";
    private const string Routing = "PgDiscipline.Routing";

    /// <summary>PGD101.</summary>
    public static readonly DiagnosticDescriptor TooManyJoins = Create(
        RuleIdentifiers.TooManyJoins, "Query joins more tables than allowed",
        "This query makes {0} joins (more than the {1} allowed): split it, denormalize, or read the parts separately",
        QueryShape, DiagnosticSeverity.Warning);

    /// <summary>PGD102.</summary>
    public static readonly DiagnosticDescriptor CartesianInclude = Create(
        RuleIdentifiers.CartesianInclude, "Several collection Includes in one single query",
        "This query includes {0} collection navigations in one SQL statement ({1}): rows multiply; use AsSplitQuery()",
        QueryShape, DiagnosticSeverity.Warning);

    /// <summary>PGD103.</summary>
    public static readonly DiagnosticDescriptor QueryInLoop = Create(
        RuleIdentifiers.QueryInLoop, "Query executed inside a loop (N+1)",
        "'{0}' runs a database query on every iteration of the enclosing {1}: load the data for all items in one query",
        QueryShape, DiagnosticSeverity.Warning);

    /// <summary>PGD104.</summary>
    public static readonly DiagnosticDescriptor RawSqlInjection = Create(
        RuleIdentifiers.RawSqlInjection, "Raw SQL built from non-constant text",
        "The SQL passed to '{0}' is built by {1}: values become part of the SQL text (injection, and one plan per value); use {2} with an interpolated string, or parameters",
        QueryShape, DiagnosticSeverity.Warning);

    /// <summary>PGD105.</summary>
    public static readonly DiagnosticDescriptor RawSqlCallSite = Create(
        RuleIdentifiers.RawSqlCallSite, "Raw SQL call site",
        "Raw SQL call site: '{0}' sends SQL text {1} (listed in the query report's security view)",
        QueryShape, DiagnosticSeverity.Info);

    /// <summary>PGD201.</summary>
    public static readonly DiagnosticDescriptor ReadWithoutRoutingIntent = Create(
        RuleIdentifiers.ReadWithoutRoutingIntent, "Read-only query without routing intent",
        "This read has no routing intent and the method writes nothing: add ReadFromReplica(), or ReadFromPrimary(\"reason\") if it must see the latest data",
        Routing, DiagnosticSeverity.Info);

    /// <summary>PGD202.</summary>
    public static readonly DiagnosticDescriptor ReplicaReadInTransaction = Create(
        RuleIdentifiers.ReplicaReadInTransaction, "ReadFromReplica() inside a transaction",
        "ReadFromReplica() inside a transaction has no effect (reads in a transaction run on the primary): remove it",
        Routing, DiagnosticSeverity.Warning);

    /// <summary>PGD203.</summary>
    public static readonly DiagnosticDescriptor StaleReadAfterWrite = Create(
        RuleIdentifiers.StaleReadAfterWrite, "Replica read after a write without session consistency",
        "This replica read follows a write in the same method while consistency is '{0}': it may not see that write; use ReadFromPrimary(\"…\") or Session consistency",
        Routing, DiagnosticSeverity.Warning);

    /// <summary>PGD204.</summary>
    public static readonly DiagnosticDescriptor WriteInReplicaScope = Create(
        RuleIdentifiers.WriteInReplicaScope, "Write inside a ReadFromReplica scope",
        "'{0}' writes inside a ReadFromReplica() scope: decisions made from replica reads may be stale; read from the primary in this block",
        Routing, DiagnosticSeverity.Warning);

    /// <summary>All descriptors.</summary>
    public static readonly DiagnosticDescriptor[] All =
    {
        TooManyJoins, CartesianInclude, QueryInLoop, RawSqlInjection, RawSqlCallSite,
        ReadWithoutRoutingIntent, ReplicaReadInTransaction, StaleReadAfterWrite, WriteInReplicaScope,
    };

    private static DiagnosticDescriptor Create(string id, string title, string message, string category, DiagnosticSeverity severity)
        => new(id, title, message, category, severity, isEnabledByDefault: true,
            description: null, helpLinkUri: RuleIdentifiers.HelpLink(id));
}
