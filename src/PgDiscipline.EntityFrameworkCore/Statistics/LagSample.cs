
namespace PgDiscipline.Statistics;

/// <summary>One lag observation kept for the statistics snapshot.</summary>
internal readonly record struct LagSample(DateTimeOffset At, double Seconds, long? Bytes, bool Healthy);
