using System.Text.Json.Serialization;
using PgDiscipline.Operations;

namespace PgDiscipline.Cli;

/// <summary>JSON the CLI writes (source-generated: no reflection).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(BackfillStatusDocument))]
internal sealed partial class CliJson : JsonSerializerContext;
