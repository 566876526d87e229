namespace PgDiscipline.Statistics;

/// <summary>
/// Fixed-memory latency histogram in microseconds: values below 8 µs have exact buckets; above, each power of two is
/// split into 8 linear sub-buckets (at most 12.5% relative error), up to 2^36 µs (about 19 hours). 280 buckets,
/// updated with one <see cref="Interlocked.Increment(ref long)"/>; no locks, no allocation per sample.
/// The same bucket layout is written into the JSON snapshot (<c>histogram.upperBoundsMicros</c>) so readers merge
/// snapshots without this code.
/// </summary>
internal sealed class LatencyHistogram
{
    private const int SubBits = 3;
    private const int Sub = 1 << SubBits;
    private const int MaxExponent = 36;

    /// <summary>Number of buckets.</summary>
    public const int BucketCount = Sub + ((MaxExponent - SubBits) * Sub) + Sub;

    private readonly long[] _counts = new long[BucketCount];
    private long _max;

    /// <summary>Exclusive upper bound of each bucket in microseconds.</summary>
    public static IReadOnlyList<long> UpperBounds { get; } = Enumerable.Range(0, BucketCount).Select(UpperBound).ToArray();

    /// <summary>The bucket a value falls in.</summary>
    public static int BucketOf(long micros)
    {
        if (micros < Sub)
        {
            return micros < 0 ? 0 : (int)micros;
        }

        var exponent = 63 - System.Numerics.BitOperations.LeadingZeroCount((ulong)micros);
        if (exponent > MaxExponent)
        {
            return BucketCount - 1;
        }

        var sub = (int)(micros >> (exponent - SubBits)) & (Sub - 1);
        return Sub + ((exponent - SubBits) * Sub) + sub;
    }

    /// <summary>Exclusive upper bound of bucket <paramref name="index"/> in microseconds.</summary>
    public static long UpperBound(int index)
    {
        if (index < Sub)
        {
            return index + 1;
        }

        var exponent = SubBits + ((index - Sub) / Sub);
        var sub = (index - Sub) % Sub;
        return (long)(Sub + sub + 1) << (exponent - SubBits);
    }

    /// <summary>Records one value.</summary>
    public void Record(long micros)
    {
        Interlocked.Increment(ref _counts[BucketOf(micros)]);
        var max = Volatile.Read(ref _max);
        while (micros > max)
        {
            var seen = Interlocked.CompareExchange(ref _max, micros, max);
            if (seen == max)
            {
                break;
            }

            max = seen;
        }
    }

    /// <summary>Largest value recorded (exact).</summary>
    public long Max => Volatile.Read(ref _max);

    /// <summary>A copy of the bucket counts.</summary>
    public long[] Snapshot()
    {
        var copy = new long[BucketCount];
        for (var i = 0; i < copy.Length; i++)
        {
            copy[i] = Volatile.Read(ref _counts[i]);
        }

        return copy;
    }

    /// <summary>The value at quantile <paramref name="q"/> (0..1) of <paramref name="counts"/>: the upper bound of the
    /// bucket holding it, never above <paramref name="max"/>. 0 when empty.</summary>
    public static long Quantile(IReadOnlyList<long> counts, double q, long max)
    {
        long total = 0;
        foreach (var c in counts)
        {
            total += c;
        }

        if (total == 0)
        {
            return 0;
        }

        var rank = (long)Math.Ceiling(q * total);
        if (rank < 1)
        {
            rank = 1;
        }

        long seen = 0;
        for (var i = 0; i < counts.Count; i++)
        {
            seen += counts[i];
            if (seen >= rank)
            {
                return Math.Min(UpperBound(i), max);
            }
        }

        return max;
    }
}
