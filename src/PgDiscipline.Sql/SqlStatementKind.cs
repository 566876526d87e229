namespace PgDiscipline.Sql;

/// <summary>The kind of a SQL statement, from its leading keyword (after any <c>WITH</c> clause).</summary>
public enum SqlStatementKind
{
    /// <summary>Nothing recognisable (empty text, comments only, or an unknown leading word).</summary>
    Other,

    /// <summary><c>SELECT</c>, <c>VALUES</c>, <c>TABLE</c>, <c>SHOW</c>.</summary>
    Select,

    /// <summary><c>INSERT</c>.</summary>
    Insert,

    /// <summary><c>UPDATE</c>.</summary>
    Update,

    /// <summary><c>DELETE</c>.</summary>
    Delete,

    /// <summary><c>MERGE</c>.</summary>
    Merge,

    /// <summary><c>CREATE</c>, <c>ALTER</c>, <c>DROP</c>, <c>TRUNCATE</c>, <c>COMMENT</c>, <c>GRANT</c>, <c>REVOKE</c>, …</summary>
    Ddl,

    /// <summary><c>BEGIN</c>, <c>COMMIT</c>, <c>SET</c>, <c>VACUUM</c>, <c>ANALYZE</c>, <c>LOCK</c>, <c>COPY</c>, …</summary>
    Utility,
}
