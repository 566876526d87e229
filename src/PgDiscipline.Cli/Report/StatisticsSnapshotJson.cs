using System.Text.Json.Serialization;
using PgDiscipline.Sql;
using PgDiscipline.Operations;

namespace PgDiscipline.Cli.Report;

/// <summary>Reads the runtime's statistics snapshot (the runtime writes it with a context of the same options). A null where
/// the contract has none (<c>"queries": null</c>, <c>"fingerprint": null</c>) is a JsonException naming its path, not a
/// NullReferenceException later.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, RespectNullableAnnotations = true)]
[JsonSerializable(typeof(StatisticsSnapshot))]
[JsonSerializable(typeof(BackfillStatusDocument))]
internal sealed partial class StatisticsSnapshotJson : JsonSerializerContext;
