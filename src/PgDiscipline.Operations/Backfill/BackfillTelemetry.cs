using System.Diagnostics.Metrics;

namespace PgDiscipline.Operations.Backfill;

/// <summary>The backfill runner's metrics, on a meter named like the runtime's (<c>PgDiscipline</c>, the runtime's
/// <c>PgDisciplineTelemetry.Name</c>): a listener or OpenTelemetry's <c>AddMeter("PgDiscipline")</c> sees both.</summary>
internal static class BackfillTelemetry
{
    /// <summary>The meter name every PgDiscipline assembly publishes on.</summary>
    public const string MeterName = "PgDiscipline";

    private static readonly Meter Meter = new(MeterName, typeof(BackfillTelemetry).Assembly.GetName().Version?.ToString());

    public static readonly Counter<long> Rows = Meter.CreateCounter<long>(
        "pgdiscipline.backfill.rows", "{row}", "Keys a backfill has done (pgdiscipline.backfill).");

    public static readonly Histogram<double> BatchDuration = Meter.CreateHistogram<double>(
        "pgdiscipline.backfill.batch.duration", "ms", "Duration of each committed backfill batch's transaction (pgdiscipline.backfill).");

    public static readonly Counter<long> Pauses = Meter.CreateCounter<long>(
        "pgdiscipline.backfill.pauses", "{pause}", "Times a backfill waited, by reason (pgdiscipline.backfill, pgdiscipline.reason).");

    public static readonly Histogram<double> ReplicaLag = Meter.CreateHistogram<double>(
        "pgdiscipline.backfill.replica_lag", "s", "Replica lag a backfill runner saw before each batch (pgdiscipline.backfill).");

    public static KeyValuePair<string, object?> Tag(string backfill) => new("pgdiscipline.backfill", backfill);
}
