using Microsoft.Extensions.Logging;
using PgDiscipline.Configuration;
using PgDiscipline.Diagnostics;

namespace PgDiscipline.Rules;

/// <summary>The rules in force: one list per source (code, configuration, the database table), compiled together into
/// an immutable snapshot whose version the plans are keyed on. Invalid rules are left out and reported; valid ones take
/// effect at once.</summary>
internal sealed class RuleBook : IDisposable
{
    private readonly Dictionary<string, List<(QueryRule Rule, string Key, string Source)>> _sources = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IReadOnlyList<string>> _sourceErrors = new(StringComparer.Ordinal);
    private readonly object _gate = new();
    private readonly ILogger _logger;
    private volatile QueryRuleSnapshot _current = QueryRuleSnapshot.Empty;
    private long _version;

    public RuleBook(CurrentOptions options, ILogger logger)
    {
        _logger = logger;
        // Plans depend on the options too (timeouts, pooler mode): a new version rebuilds them.
        options.Changed += _ => Bump();
    }

    public QueryRuleSnapshot Current => _current;

    /// <summary>Replaces the rules of <paramref name="source"/>; returns the problems of that source's rules.</summary>
    public IReadOnlyList<string> Set(string source, IEnumerable<(QueryRule Rule, string Key)> rules, IReadOnlyList<string>? sourceErrors = null)
    {
        lock (_gate)
        {
            _sources[source] = rules.Select(r => (r.Rule, r.Key, source)).ToList();
            _sourceErrors[source] = sourceErrors ?? [];
            var logged = new HashSet<string>(_current.Errors, StringComparer.Ordinal);
            var snapshot = Compile();
            // A source reloaded every poll with the same bad row logs it once, not once a poll.
            foreach (var error in snapshot.Errors.Where(e => !logged.Contains(e)))
            {
                PgDisciplineTelemetry.RulesRejected.Add(1);
                Log.RuleRejected(_logger, error);
            }

            Log.RulesLoaded(_logger, source, snapshot.Rules.Count, snapshot.Errors.Count);
            return snapshot.Errors.Where(e => _sources[source].Any(r => e.StartsWith(r.Key, StringComparison.Ordinal))).ToArray();
        }
    }

    private void Bump()
    {
        lock (_gate)
        {
            Compile();
        }
    }

    private QueryRuleSnapshot Compile()
    {
        var version = Interlocked.Increment(ref _version);
        var snapshot = QueryRuleCompiler.Compile(_sources.Values.SelectMany(x => x), _current, version, _sourceErrors.Values.SelectMany(x => x));
        _current = snapshot;
        return snapshot;
    }

    public void Dispose()
    {
        foreach (var rule in _current.Rules)
        {
            rule.Dispose();
        }
    }
}
