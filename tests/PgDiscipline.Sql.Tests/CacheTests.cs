using PgDiscipline.Sql;

namespace PgDiscipline.Sql.Tests;

public sealed class CacheTests
{
    [Fact]
    public void Same_text_is_analyzed_once()
    {
        var cache = new SqlFingerprintCache();
        var a = cache.Get("select * from t where id = 1");
        var b = cache.Get(new string("select * from t where id = 1".ToCharArray())); // equal text, other instance
        Assert.Same(a, b);
        Assert.Equal(1, cache.Misses);
        Assert.Equal(1, cache.Hits);
    }

    [Fact]
    public void Size_is_bounded_by_two_generations()
    {
        var cache = new SqlFingerprintCache(capacity: 100);
        for (var i = 0; i < 10_000; i++)
        {
            cache.Get($"select * from t where id = {i}");
        }

        Assert.InRange(cache.Count, 1, 200);
        Assert.Equal(10_000, cache.Misses);
    }

    [Fact]
    public void Texts_in_steady_use_survive_a_flood_of_distinct_texts()
    {
        var cache = new SqlFingerprintCache(capacity: 50);
        const string hot = "select * from hot where id = $1";
        var first = cache.Get(hot);
        for (var i = 0; i < 5_000; i++)
        {
            cache.Get(string.Concat("select ", i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            if (i % 10 == 0)
            {
                Assert.Equal(first.Fingerprint, cache.Get(new string(hot.ToCharArray())).Fingerprint);
            }
        }

        var misses = cache.Misses;
        cache.Get(new string(hot.ToCharArray()));
        Assert.Equal(misses, cache.Misses);
    }

    [Fact]
    public void Concurrent_use_gives_consistent_results()
    {
        var cache = new SqlFingerprintCache(capacity: 64);
        var texts = Enumerable.Range(0, 500).Select(i => $"select * from t{i % 97} where id = {i}").ToArray();
        var expected = texts.Select(t => SqlFingerprint.Compute(t)).ToArray();
        Parallel.For(0, 20_000, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            var k = i % texts.Length;
            Assert.Equal(expected[k], cache.Get(texts[k]).Fingerprint);
        });
        Assert.InRange(cache.Count, 1, 128);
    }

    [Fact]
    public void Invalid_capacity_is_rejected()
        => Assert.Throws<ArgumentOutOfRangeException>(() => new SqlFingerprintCache(0));
}
