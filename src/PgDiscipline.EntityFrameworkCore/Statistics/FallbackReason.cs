namespace PgDiscipline.Statistics;

/// <summary>Why a replica-bound read ran on the primary. The names are the <c>pgdiscipline.reason</c> tag of
/// <c>pgdiscipline.reads.fallbacks</c> and the keys of <c>fallbackReasons</c> in the statistics snapshot.</summary>
internal enum FallbackReason
{
    /// <summary>No replica of the pool is in rotation (unreachable, not in recovery, or lagging past MaxReplicaLag).</summary>
    NoReplicaInRotation,

    /// <summary>Replicas are in rotation but none had replayed the session's last write when last checked (read-your-writes).</summary>
    BehindSession,

    /// <summary>The replicas tried failed at connection level.</summary>
    ReplicasFailed,

    /// <summary>A replica failed and the retry budget had no retry left.</summary>
    RetryBudget,

    /// <summary>The session's write position could not be read from the primary, so freshness is unknown.</summary>
    SessionUnknown,
}
