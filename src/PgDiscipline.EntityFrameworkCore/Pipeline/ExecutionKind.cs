namespace PgDiscipline.Pipeline;

/// <summary>Which EF Core execute method the command came through.</summary>
internal enum ExecutionKind : byte
{
    Reader,
    NonQuery,
    Scalar,
}
