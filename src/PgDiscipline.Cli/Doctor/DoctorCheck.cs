using System.Text.Json.Nodes;

namespace PgDiscipline.Cli.Doctor;

/// <summary>How a doctor check came out.</summary>
internal enum Status
{
    Ok,
    Warn,
    Fail,
    Skip,
}

/// <summary>One check's result: a line of text and, for <c>--format json</c>, its data.</summary>
internal sealed record Check(string Name, Status Status, string Detail, JsonNode? Data = null);

/// <summary>The thresholds of <c>pgdiscipline doctor</c>'s checks.</summary>
internal sealed record Settings(TimeSpan MaxLag, TimeSpan LongRunning, double MaxConnectionUsage, int Top);
