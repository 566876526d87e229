using Microsoft.CodeAnalysis;

namespace PgDiscipline.Analyzers;

/// <summary>Every query-shape and routing descriptor PgDiscipline reports; id, title, category, severity and help link
/// come from <see cref="RuleCatalog"/>.</summary>
internal static class DiagnosticDescriptors
{
    /// <summary>PGD100.</summary>
    public static readonly DiagnosticDescriptor InvalidOption = Create(RuleIdentifiers.InvalidAnalyzerOption,
        "'{0} = {1}' is not valid ({2}): the default, {3}, applies");

    /// <summary>PGD101.</summary>
    public static readonly DiagnosticDescriptor TooManyJoins = Create(RuleIdentifiers.TooManyJoins,
        "This query makes {0} joins (more than the {1} allowed: {2}): split it, denormalize, or read the parts separately");

    /// <summary>PGD102.</summary>
    public static readonly DiagnosticDescriptor CartesianInclude = Create(RuleIdentifiers.CartesianInclude,
        "This query includes {0} collection navigations in one SQL statement ({1}): rows multiply; use AsSplitQuery()");

    /// <summary>PGD103.</summary>
    public static readonly DiagnosticDescriptor QueryInLoop = Create(RuleIdentifiers.QueryInLoop,
        "'{0}' makes a database round trip on every iteration of the enclosing {1}: {2}");

    /// <summary>PGD103 through a helper declared in the compilation: decided at compilation end, from every method's body.
    /// Its own message: Roslyn's IDE keeps one descriptor per id only when the messages differ.</summary>
    public static readonly DiagnosticDescriptor QueryInLoopThroughHelper = DescriptorFactory.Create(RuleCatalog.Get(RuleIdentifiers.QueryInLoop),
        "'{0}' runs a query (in its body, or a method it calls) on every iteration of the enclosing {1}: {2}", WellKnownDiagnosticTags.CompilationEnd);

    /// <summary>PGD104.</summary>
    public static readonly DiagnosticDescriptor RawSqlInjection = Create(RuleIdentifiers.RawSqlInjection,
        "The SQL passed to '{0}' is built by {1}: values become part of the SQL text (injection, and one plan per value); use {2} with an interpolated string, or parameters");

    /// <summary>PGD105.</summary>
    public static readonly DiagnosticDescriptor RawSqlCallSite = Create(RuleIdentifiers.RawSqlCallSite,
        "Raw SQL call site: '{0}' sends SQL text {1} (listed in the query report's security view)");

    /// <summary>PGD201.</summary>
    public static readonly DiagnosticDescriptor ReadWithoutRoutingIntent = Create(RuleIdentifiers.ReadWithoutRoutingIntent,
        "This read has no routing intent and the method writes nothing: add ReadFromReplica(), or ReadFromPrimary(\"reason\") if it must see the latest data");

    /// <summary>PGD202.</summary>
    public static readonly DiagnosticDescriptor ReplicaReadInTransaction = Create(RuleIdentifiers.ReplicaReadInTransaction,
        "ReadFromReplica() inside a transaction has no effect (reads in a transaction run on the primary): remove it");

    /// <summary>PGD203.</summary>
    public static readonly DiagnosticDescriptor StaleReadAfterWrite = Create(RuleIdentifiers.StaleReadAfterWrite,
        "This replica read follows a write in the same method while consistency is '{0}': it may not see that write; use ReadFromPrimary(\"…\") or Session consistency");

    /// <summary>PGD204.</summary>
    public static readonly DiagnosticDescriptor WriteInReplicaScope = Create(RuleIdentifiers.WriteInReplicaScope,
        "'{0}' writes inside a ReadFromReplica() scope: decisions made from replica reads may be stale; read from the primary in this block");

    /// <summary>All descriptors.</summary>
    public static readonly DiagnosticDescriptor[] All =
    {
        InvalidOption, TooManyJoins, CartesianInclude, QueryInLoop, RawSqlInjection, RawSqlCallSite,
        ReadWithoutRoutingIntent, ReplicaReadInTransaction, StaleReadAfterWrite, WriteInReplicaScope,
    };

    private static DiagnosticDescriptor Create(string id, string message) => DescriptorFactory.Create(RuleCatalog.Get(id), message);
}
