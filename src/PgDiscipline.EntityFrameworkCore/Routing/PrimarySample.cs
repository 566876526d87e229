using NpgsqlTypes;

namespace PgDiscipline.Routing;

/// <summary>The primary when a health check began: its flushed WAL position and its snapshot
/// (<c>xmin:xmax:xip</c>, which changes whenever a transaction completes).</summary>
internal readonly record struct PrimarySample(DateTimeOffset At, NpgsqlLogSequenceNumber Position, string? Snapshot = null);
