using System.Text.Json.Serialization;

namespace PgDiscipline.Configuration;

/// <summary>The JSON form of the options, for <see cref="PgDisciplineOptionsExtension.ConfigurationKey"/>.</summary>
[JsonSourceGenerationOptions(WriteIndented = false)]
[JsonSerializable(typeof(PgDisciplineOptions))]
internal sealed partial class PgDisciplineOptionsJson : JsonSerializerContext;
