using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading;

namespace PgDiscipline.Sql;

/// <summary>
/// Thread-safe, bounded cache of <see cref="SqlCommandInfo"/> by command text, for the runtime hot path.
/// <list type="bullet">
/// <item>A hit on the same string instance (EF Core reuses the command text of a cached query) is a lock-free identity
/// lookup: no hashing of the text, no allocation.</item>
/// <item>A hit on an equal string is one ordinal hash lookup.</item>
/// <item>Size is bounded by two generations of at most <c>capacity</c> entries each: when the young generation is full it
/// becomes the old one and the previous old one is dropped, so a flood of distinct texts (literals inlined by a
/// client) cannot grow memory, and texts in steady use survive by being promoted on access.</item>
/// </list>
/// </summary>
public sealed class SqlFingerprintCache
{
    private readonly int _capacity;
    private readonly object _rollover = new();
    private volatile ConditionalWeakTable<string, SqlCommandInfo> _byInstance = new();
    private ConcurrentDictionary<string, SqlCommandInfo> _young;
    private ConcurrentDictionary<string, SqlCommandInfo> _old;
    private long _hits;
    private long _misses;

    /// <summary>A process-wide cache of the default capacity.</summary>
    public static SqlFingerprintCache Shared { get; } = new();

    /// <summary>Creates a cache holding up to <paramref name="capacity"/> texts per generation (default 10,000).</summary>
    public SqlFingerprintCache(int capacity = 10_000)
    {
        if (capacity < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "capacity must be at least 1");
        }

        _capacity = capacity;
        _young = new ConcurrentDictionary<string, SqlCommandInfo>(StringComparer.Ordinal);
        _old = new ConcurrentDictionary<string, SqlCommandInfo>(StringComparer.Ordinal);
    }

    /// <summary>Lookups answered from the cache.</summary>
    public long Hits => Interlocked.Read(ref _hits);

    /// <summary>Lookups that had to analyze the text.</summary>
    public long Misses => Interlocked.Read(ref _misses);

    /// <summary>Entries currently held by text (both generations).</summary>
    public int Count => _young.Count + _old.Count;

    /// <summary>Returns the facts for <paramref name="commandText"/>, analyzing it only when not cached. Never throws for any text.</summary>
    public SqlCommandInfo Get(string commandText)
    {
        commandText ??= string.Empty;
        if (_byInstance.TryGetValue(commandText, out var info))
        {
            Interlocked.Increment(ref _hits);
            return info;
        }

        return GetSlow(commandText);
    }

    private SqlCommandInfo GetSlow(string commandText)
    {
        var young = _young;
        if (young.TryGetValue(commandText, out var info))
        {
            Interlocked.Increment(ref _hits);
        }
        else if (_old.TryGetValue(commandText, out info))
        {
            Interlocked.Increment(ref _hits);
            AddYoung(commandText, info);
        }
        else
        {
            Interlocked.Increment(ref _misses);
            info = SqlCommandInfo.Analyze(commandText);
            AddYoung(commandText, info);
        }

        RememberInstance(commandText, info);
        return info;
    }

    private void RememberInstance(string commandText, SqlCommandInfo info)
    {
        // The identity table is only a shortcut; it is replaced when the generations roll over (see AddYoung).
        try
        {
            _byInstance.Add(commandText, info);
        }
        catch (ArgumentException)
        {
            // Another thread added the same instance first: same facts.
        }
    }

    private void AddYoung(string commandText, SqlCommandInfo info)
    {
        var young = _young;
        if (young.Count >= _capacity)
        {
            lock (_rollover)
            {
                if (ReferenceEquals(young, _young))
                {
                    _old = young;
                    _young = young = new ConcurrentDictionary<string, SqlCommandInfo>(StringComparer.Ordinal);
                    _byInstance = new ConditionalWeakTable<string, SqlCommandInfo>();
                }
                else
                {
                    young = _young;
                }
            }
        }

        young.TryAdd(commandText, info);
    }
}
