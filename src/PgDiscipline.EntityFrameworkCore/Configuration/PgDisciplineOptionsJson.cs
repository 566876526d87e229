using System.Text.Json.Serialization;

namespace PgDiscipline.Configuration;

/// <summary>The JSON form of the options, for <c>PgDisciplineOptionsExtension.ConfigurationKey</c>.</summary>
[JsonSourceGenerationOptions(WriteIndented = false)]
[JsonSerializable(typeof(PgDisciplineOptions))]
internal sealed partial class PgDisciplineOptionsJson : JsonSerializerContext;
