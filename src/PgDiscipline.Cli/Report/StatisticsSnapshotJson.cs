using System.Text.Json.Serialization;
using PgDiscipline.Sql;

namespace PgDiscipline.Cli.Report;

/// <summary>Reads the runtime's statistics snapshot (the runtime writes it with a context of the same options).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(StatisticsSnapshot))]
[JsonSerializable(typeof(BackfillStatusDocument))]
internal sealed partial class StatisticsSnapshotJson : JsonSerializerContext;
