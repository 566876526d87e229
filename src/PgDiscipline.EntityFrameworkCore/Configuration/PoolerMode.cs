namespace PgDiscipline;

/// <summary>What sits between the application and PostgreSQL.</summary>
public enum PoolerMode
{
    /// <summary>Direct connections (or a session-mode pooler): timeouts are set once as startup options.</summary>
    Direct,

    /// <summary>PgBouncer in transaction mode: session <c>SET</c> leaks and the <c>options</c> startup parameter is rejected,
    /// so timeouts are applied per transaction with <c>set_config(…, true)</c>.</summary>
    PgBouncerTransaction,
}
