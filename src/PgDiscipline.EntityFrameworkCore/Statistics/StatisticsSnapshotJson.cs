using System.Text.Json.Serialization;
using PgDiscipline.Sql;
using PgDiscipline.Operations;

namespace PgDiscipline.Statistics;

/// <summary>The snapshot's JSON form (the CLI reads it with a context of the same options).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(StatisticsSnapshot))]
internal sealed partial class StatisticsSnapshotJson : JsonSerializerContext;
