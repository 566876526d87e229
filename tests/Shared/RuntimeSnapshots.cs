using System.Text.Json;

namespace PgDiscipline.Testing;

/// <summary>Reads a runtime's statistics snapshot in memory (linked into the integration tests and the Workload runner).</summary>
internal static class RuntimeSnapshots
{
    /// <summary>The snapshot JSON the runtime would write to <c>Statistics:SnapshotPath</c>.</summary>
    public static async Task<JsonDocument> SnapshotAsync(PgDisciplineRuntime runtime)
    {
        using var stream = new MemoryStream();
        await runtime.Statistics!.WriteSnapshotAsync(stream).ConfigureAwait(false);
        return JsonDocument.Parse(stream.ToArray());
    }

    /// <summary>Replica-bound reads that ran on the primary, by reason, summed over every fingerprint.</summary>
    public static async Task<Dictionary<string, long>> FallbackReasonsAsync(PgDisciplineRuntime runtime)
    {
        using var doc = await SnapshotAsync(runtime).ConfigureAwait(false);
        var reasons = new Dictionary<string, long>();
        foreach (var q in doc.RootElement.GetProperty("queries").EnumerateArray())
        {
            foreach (var r in q.GetProperty("fallbackReasons").EnumerateObject())
            {
                reasons[r.Name] = reasons.GetValueOrDefault(r.Name) + r.Value.GetInt64();
            }
        }

        return reasons;
    }
}
