using System.Collections.Frozen;
using PgDiscipline.Sql;

namespace PgDiscipline.Rules;

/// <summary>An immutable set of compiled rules, indexed for the hot path.</summary>
internal sealed class QueryRuleSnapshot
{
    public static readonly QueryRuleSnapshot Empty = new(0, [], []);

    private readonly FrozenDictionary<ulong, CompiledRule[]> _byFingerprint;
    private readonly FrozenDictionary<string, CompiledRule[]> _byTag;
    private readonly FrozenDictionary<string, CompiledRule[]> _byTable;

    public QueryRuleSnapshot(long version, IReadOnlyList<CompiledRule> rules, IReadOnlyList<string> errors)
    {
        Version = version;
        Rules = rules;
        Errors = errors;
        _byFingerprint = Index(rules.Where(r => r.Rule.Fingerprint is not null), r => ParseHash(r.Rule.Fingerprint!));
        _byTag = Index(rules.Where(r => r.Rule.Tag is not null), r => r.Rule.Tag!, StringComparer.Ordinal);
        _byTable = Index(rules.Where(r => r.Rule.Table is not null), r => r.Rule.Table!, StringComparer.Ordinal);
    }

    public long Version { get; }

    public IReadOnlyList<CompiledRule> Rules { get; }

    /// <summary>Rules rejected when this snapshot was built, each naming the rule.</summary>
    public IReadOnlyList<string> Errors { get; }

    /// <summary>Rules that apply to a command, in order: fingerprint rules, then tag, then table rules.</summary>
    public CompiledRule[] Match(SqlCommandInfo info)
    {
        var fingerprint = _byFingerprint.TryGetValue(info.Fingerprint.Hash, out var f) ? f : null;
        if (_byTag.Count == 0 && _byTable.Count == 0)
        {
            return fingerprint ?? [];
        }

        var all = new List<CompiledRule>();
        if (fingerprint is not null)
        {
            all.AddRange(fingerprint);
        }

        foreach (var tag in info.Tags)
        {
            if (_byTag.TryGetValue(tag, out var t))
            {
                all.AddRange(t);
            }
        }

        foreach (var table in info.Tables)
        {
            if (_byTable.TryGetValue(table, out var t))
            {
                all.AddRange(t.Where(r => !all.Contains(r)));
            }
        }

        return all.Count == 0 ? [] : all.ToArray();
    }

    // Compiled rules passed SqlFingerprint.IsCanonical.
    private static ulong ParseHash(string fingerprint)
        => SqlFingerprint.TryParseHash(fingerprint, out var hash) ? hash : throw new ArgumentException("not a fingerprint", nameof(fingerprint));

    private static FrozenDictionary<TKey, CompiledRule[]> Index<TKey>(IEnumerable<CompiledRule> rules, Func<CompiledRule, TKey> key, IEqualityComparer<TKey>? comparer = null)
        where TKey : notnull
        => rules.GroupBy(key, comparer).ToFrozenDictionary(g => g.Key, g => g.ToArray(), comparer);
}
