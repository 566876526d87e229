namespace PgDiscipline.Statistics;

internal static class FallbackReasons
{
    internal static readonly string[] Names = ["no_replica_in_rotation", "behind_session", "replicas_failed", "retry_budget", "session_unknown"];

    internal static string Name(this FallbackReason reason) => Names[(int)reason];
}
