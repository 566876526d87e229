using System.Text.Json.Serialization;

namespace PgDiscipline.Cli.Lint.Output;

/// <summary>The lint's JSON formats (source-generated: no reflection, trims and compiles ahead of time).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(List<LintFindingJson>))]
[JsonSerializable(typeof(List<GitLabIssue>))]
[JsonSerializable(typeof(SarifLog))]
internal sealed partial class LintOutputJson : JsonSerializerContext;
