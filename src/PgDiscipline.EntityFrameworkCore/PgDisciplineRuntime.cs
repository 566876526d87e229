using System.Globalization;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PgDiscipline.Configuration;
using PgDiscipline.HighAvailability;
using PgDiscipline.Infrastructure;
using PgDiscipline.Interception;
using PgDiscipline.Migrations;
using PgDiscipline.Routing;
using PgDiscipline.Rules;
using PgDiscipline.Statistics;

namespace PgDiscipline;

/// <summary>
/// One PgDiscipline instance: options, rules, replica routing, statistics and the EF Core interceptors that use them.
/// Owned by the application's service provider (<c>AddPgDiscipline</c>), by EF Core's internal service provider
/// (<c>UsePgDiscipline(pg =&gt; …)</c>: one per distinct configuration), or by the caller of <see cref="Create"/>;
/// the owner disposes it, which stops its background work and writes the last statistics snapshot.
/// </summary>
public sealed class PgDisciplineRuntime : IDisposable, IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly CurrentOptions _options;
    private readonly RuleBook _rules;
    private readonly ReplicaSet _replicas;
    private readonly ReplicaHealthMonitor _monitor;
    private readonly PrimaryTimelineGuard _timeline;
    private readonly DatabaseRuleSource? _databaseRules;
    private readonly ReplicaRules? _replicaRules;
    private readonly List<IDisposable> _subscriptions = new();
    private int _disposed;

    private PgDisciplineRuntime(PgDisciplineOptions options, ILoggerFactory? loggerFactory, TimeProvider? time)
    {
        _services = RuntimeServices.Build(options, loggerFactory, time);
        _options = _services.GetRequiredService<CurrentOptions>();
        _rules = _services.GetRequiredService<RuleBook>();
        _replicas = _services.GetRequiredService<ReplicaSet>();
        _monitor = _services.GetRequiredService<ReplicaHealthMonitor>();
        _timeline = _services.GetRequiredService<PrimaryTimelineGuard>();
        Statistics = _services.GetService<QueryStatistics>();
        InterceptorDependencies = _services.GetRequiredService<InterceptorDependencies>();
        _databaseRules = _services.GetService<DatabaseRuleSource>();
        _replicaRules = _services.GetService<ReplicaRules>();
        if (_replicaRules is not null)
        {
            _ = _monitor.EnsureStarted(); // rules come with the health checks: they run from the start, traffic or not
        }
        _ = _services.GetService<StatisticsSnapshotWriter>();
        MigrationTracker.EnsureSubscribed();
        Interceptors = CreateInterceptors(new RuntimeReference(this));
    }

    /// <summary>The options in force.</summary>
    public PgDisciplineOptions Options => _options.Value;

    /// <summary>Rules rejected from the current rule set (each message names the rule and the problem).</summary>
    public IReadOnlyList<string> RuleErrors => _rules.Current.Errors;

    /// <summary>Ids of the rules in force.</summary>
    public IReadOnlyList<string> ActiveRuleIds => _rules.Current.Rules.Select(r => r.Id).ToArray();

    /// <summary>Per-fingerprint statistics (null when <c>Statistics.Enabled</c> is false).</summary>
    public QueryStatistics? Statistics { get; }

    /// <summary>Completes when the database rule table has been read once (immediately when it is not configured).</summary>
    public Task DatabaseRulesLoaded => _databaseRules?.FirstLoad ?? _replicaRules?.FirstLoad ?? Task.CompletedTask;

    /// <summary>The replicas and their last observed health (a snapshot taken now).</summary>
    public IReadOnlyList<ReplicaStatus> Replicas => _replicas.All.Select(r => r.Status()).ToArray();

    /// <summary>The newest primary timeline this runtime has seen (0 before its first primary connection).</summary>
    public long PrimaryTimeline => _timeline.NewestTimeline;

    /// <summary>The primary hosts refused now (<c>host:port</c>, with the timeline each is on): old primaries that came
    /// back after a promotion.</summary>
    public IReadOnlyDictionary<string, long> RefusedPrimaries => _timeline.Fenced;

    /// <summary>The interceptors to add to a DbContext (<c>UsePgDiscipline</c> does this).</summary>
    internal IReadOnlyList<IInterceptor> Interceptors { get; }

    /// <summary>What the interceptors use of this runtime.</summary>
    internal InterceptorDependencies InterceptorDependencies { get; }

    /// <summary>The runtime's parts (for tests).</summary>
    internal IServiceProvider Services => _services;

    /// <summary>One of the runtime's parts (for tests; the parts themselves get theirs in their constructors).</summary>
    internal T Part<T>()
        where T : notnull
        => _services.GetRequiredService<T>();

    /// <summary>PgDiscipline's logger (the backfill runner logs there when given no logger factory).</summary>
    internal ILogger Logger => _services.GetRequiredService<ILogger>();

    /// <summary>The command, connection and transaction interceptors, finding their runtime through <paramref name="reference"/>.</summary>
    internal static IReadOnlyList<IInterceptor> CreateInterceptors(RuntimeReference reference) =>
    [
        new PgDisciplineCommandInterceptor(reference),
        new PgDisciplineConnectionInterceptor(reference),
        new PgDisciplineTransactionInterceptor(reference),
    ];

    /// <summary>Writes the statistics snapshot (<c>pgdiscipline.stats/v1</c> JSON) to <paramref name="path"/>.</summary>
    public Task WriteStatisticsSnapshotAsync(string path, CancellationToken cancellationToken = default)
        => Statistics?.WriteSnapshotAsync(path, cancellationToken)
           ?? throw new InvalidOperationException("Statistics are disabled (PgDiscipline:Statistics:Enabled = false).");

    /// <summary>
    /// Replaces the replica set while the application runs (configuration reloads do this too): replicas whose definition
    /// is unchanged keep their state; new ones are admitted by the health checks (one good check); removed ones take no
    /// new read at once and close their connections when the reads running on them end. The runtime must have been
    /// created with at least one replica. Invalid replicas throw <see cref="OptionsValidationException"/> naming each key,
    /// and nothing changes.
    /// </summary>
    public void SetReplicas(IEnumerable<ReplicaOptions> replicas)
    {
        ArgumentNullException.ThrowIfNull(replicas);
        if (!_replicas.Configured)
        {
            throw new InvalidOperationException("This PgDiscipline runtime was created without replicas; configure at least one to change the replica set later.");
        }

        var list = replicas.ToList();
        var errors = new List<string>();
        PgDisciplineOptionsValidator.CollectReplicas(list, PgDisciplineOptions.SectionName, errors);
        if (list.Count == 0)
        {
            errors.Add($"{PgDisciplineOptions.SectionName}:Replicas must keep at least one replica (set DefaultRead = Primary to stop routing reads).");
        }

        if (errors.Count > 0)
        {
            throw new OptionsValidationException(Microsoft.Extensions.Options.Options.DefaultName, typeof(PgDisciplineOptions), errors);
        }

        _replicas.Set(list);
    }

    /// <summary>Runs one round of replica health checks now (the monitor also runs them every <c>HealthCheckInterval</c>).</summary>
    public Task CheckReplicasNowAsync(CancellationToken cancellationToken = default)
        => _replicas.All.Length == 0 ? Task.CompletedTask : _monitor.CheckAllAsync(cancellationToken);

    /// <summary>Starts the replica health checks now rather than at the first replica read (a host does this at startup,
    /// so a readiness probe sees the replicas before any traffic); the task completes when the first round has ended.</summary>
    public Task StartMonitoringAsync() => _monitor.EnsureStarted();

    /// <summary>Creates a runtime from options set in code; the caller owns (and disposes) it. Invalid options or rules
    /// throw <see cref="OptionsValidationException"/> naming each key. Its timers, waits and expiries run on
    /// <paramref name="timeProvider"/> (for tests: a <c>FakeTimeProvider</c>; null: the system clock).</summary>
    public static PgDisciplineRuntime Create(PgDisciplineOptions options, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
    {
        ThrowIfInvalid(options);
        var runtime = new PgDisciplineRuntime(options, loggerFactory, timeProvider);
        runtime._rules.Set("code", CodeRules(options));
        return runtime;
    }

    /// <summary>Throws <see cref="OptionsValidationException"/> naming every invalid key and rule of <paramref name="options"/>.</summary>
    internal static void ThrowIfInvalid(PgDisciplineOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = PgDisciplineOptionsValidator.Collect(options, PgDisciplineOptions.SectionName).ToList();
        foreach (var (rule, key) in CodeRules(options))
        {
            errors.AddRange(QueryRuleCompiler.Validate(rule, key));
        }

        if (errors.Count > 0)
        {
            throw new OptionsValidationException(Microsoft.Extensions.Options.Options.DefaultName, typeof(PgDisciplineOptions), errors);
        }
    }

    private static IEnumerable<(QueryRule Rule, string Key)> CodeRules(PgDisciplineOptions options)
        => options.Rules.Items.Select((r, i) => (r, string.Create(CultureInfo.InvariantCulture, $"{PgDisciplineOptions.SectionName}:Rules:{i}")));

    /// <summary>Creates the DI runtime: options from <paramref name="monitor"/> (reloaded live), rules from code and, when
    /// <paramref name="section"/> is given, from its <c>Rules</c> child (reloaded live; a malformed rule is logged and left out).</summary>
    internal static PgDisciplineRuntime CreateForServices(IOptionsMonitor<PgDisciplineOptions> monitor, IConfiguration? section, ILoggerFactory? loggerFactory, TimeProvider? timeProvider)
    {
        var options = monitor.CurrentValue;
        var runtime = new PgDisciplineRuntime(options, loggerFactory, timeProvider);
        runtime._rules.Set("code", options.Rules.Items.Select((r, i) => (r, $"code rule {i}")));
        var startupErrors = new List<string>(runtime.RuleErrors);
        if (section is not null)
        {
            startupErrors.AddRange(runtime.LoadConfigurationRules(section.GetSection("Rules")));
            var reload = Microsoft.Extensions.Primitives.ChangeToken.OnChange(
                section.GetReloadToken,
                () => runtime.LoadConfigurationRules(section.GetSection("Rules")));
            runtime._subscriptions.Add(reload);
        }

        if (startupErrors.Count > 0)
        {
            throw new OptionsValidationException(Microsoft.Extensions.Options.Options.DefaultName, typeof(PgDisciplineOptions), startupErrors);
        }

        var change = monitor.OnChange(o =>
        {
            runtime._options.Set(o);
            if (runtime._replicas.Configured && o.Replicas.Count > 0)
            {
                runtime._replicas.Set([.. o.Replicas]);
            }
        });
        if (change is not null)
        {
            runtime._subscriptions.Add(change);
        }

        return runtime;
    }

    /// <summary>Replaces the rules of one source (for example <c>code</c>, <c>configuration</c>, <c>database</c>). Invalid
    /// rules are left out and reported (log event <see cref="PgDisciplineEventId.RuleRejected"/>, <see cref="RuleErrors"/>);
    /// valid ones take effect at once. Returns the problems of this source's rules, each naming the rule by
    /// <c>&lt;source&gt;:&lt;index&gt;</c> and id.</summary>
    public IReadOnlyList<string> SetRules(string source, IEnumerable<QueryRule> rules)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(source);
        ArgumentNullException.ThrowIfNull(rules);
        return _rules.Set(source, rules.Select((r, i) => (r, string.Create(CultureInfo.InvariantCulture, $"{source}:{i}"))), []);
    }

    private IReadOnlyList<string> LoadConfigurationRules(IConfigurationSection rulesSection)
    {
        var parseErrors = new List<string>();
        var rules = ConfigurationRuleReader.Read(rulesSection, parseErrors);
        var compileErrors = _rules.Set("configuration", rules, parseErrors);
        return parseErrors.Concat(compileErrors).ToArray();
    }

    /// <summary>Stops the background work (health monitor, rule-table listener) and releases data sources. Prefer
    /// <see cref="DisposeAsync"/>; this blocks until the background loops have stopped.</summary>
    public void Dispose()
    {
        // Synchronous dispose of background loops: stopping them is the point, so waiting here is intended.
        DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (var s in _subscriptions)
        {
            s.Dispose();
        }

        await _services.DisposeAsync().ConfigureAwait(false);
    }
}
