using System.Text;
using BenchmarkDotNet.Attributes;
using PgDiscipline.Sql;

namespace PgDiscipline.Benchmarks;

/// <summary>Uncached fingerprinting of typical EF Core command texts (0.2–4 KB), and cached lookups.
/// Throughput in MB/s = Size / Mean (see docs/benchmarks.md).</summary>
[MemoryDiagnoser]
public class FingerprintBenchmarks
{
    private SqlFingerprintCache _cache = null!;
    private string _text = null!;
    private string _equalCopy = null!;

    [Params(256, 1024, 4096)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _text = EfCommandText(Size);
        _equalCopy = new string(_text.ToCharArray());
        _cache = new SqlFingerprintCache();
        _cache.Get(_text);
    }

    /// <summary>An EF Core + Npgsql shaped query (quoted identifiers, aliases, LEFT JOINs, parameters) of about <paramref name="size"/> chars.</summary>
    public static string EfCommandText(int size)
    {
        var sb = new StringBuilder("-- ListConversations\nSELECT c.\"Id\", c.\"Title\", c.\"CreatedAt\"");
        var i = 0;
        while (sb.Length < size - 200)
        {
            sb.Append(", m").Append(i % 4).Append(".\"Column").Append(i).Append('"');
            i++;
        }

        sb.Append("\nFROM \"Conversations\" AS c\nLEFT JOIN \"Messages\" AS m0 ON c.\"Id\" = m0.\"ConversationId\"\n");
        sb.Append("WHERE c.\"OwnerId\" = @__ownerId_0 AND c.\"Title\" <> 'archived' AND c.\"Id\" = ANY (@ids)\n");
        sb.Append("ORDER BY c.\"CreatedAt\" DESC\nLIMIT @__p_1");
        return sb.ToString();
    }

    [Benchmark]
    public ulong FingerprintUncached() => SqlFingerprint.Compute(_text).Hash;

    [Benchmark]
    public int AnalyzeUncached() => SqlCommandInfo.Analyze(_text).MaxJoinCount;

    [Benchmark]
    public SqlCommandInfo CachedSameInstance() => _cache.Get(_text);

    [Benchmark]
    public SqlCommandInfo CachedEqualText() => _cache.Get(_equalCopy);
}
