namespace PgDiscipline.Sql;

/// <summary>Names the runtime package defines and the analyzers rely on. Internal: the analyzers ship this assembly in
/// their own package; the runtime spells the names itself, and its tests check that its types carry these.</summary>
internal static class RuntimeContract
{
    /// <summary>The query extensions (<c>ReadFromReplica()</c>, <c>ReadFromPrimary(reason)</c>, <c>WithPriority</c>,
    /// <c>WithStatementTimeout</c>) the routing analyzers recognise.</summary>
    public const string QueryableExtensionsType = "PgDiscipline.PgDisciplineQueryableExtensions";

    /// <summary>The ambient routing scopes (<c>using (PgDisciplineRouting.ReadFromReplica())</c>).</summary>
    public const string RoutingScopeType = "PgDiscipline.PgDisciplineRouting";

    /// <summary>Prefix of the query tags the runtime reads (<c>-- pgdiscipline:read=replica</c>, …).</summary>
    public const string TagPrefix = "pgdiscipline:";
}
