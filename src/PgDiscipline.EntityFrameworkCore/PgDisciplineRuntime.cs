using System.Globalization;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using PgDiscipline.HighAvailability;

namespace PgDiscipline;

/// <summary>
/// One PgDiscipline instance: options, rules, replica routing, statistics and the EF Core interceptors that use them.
/// Owned by the application's service provider (<c>AddPgDiscipline</c>), by EF Core's internal service provider
/// (<c>UsePgDiscipline(pg =&gt; …)</c>: one per distinct configuration), or by the caller of <see cref="Create"/>; the
/// owner disposes it, which stops its background work and writes the last statistics snapshot.
/// </summary>
public sealed class PgDisciplineRuntime : IDisposable, IAsyncDisposable
{
    private readonly Dictionary<string, List<(QueryRule Rule, string Key, string Source)>> _ruleSources = new(StringComparer.Ordinal);
    private readonly object _gate = new();
    private readonly Dictionary<string, IReadOnlyList<string>> _sourceErrors = new(StringComparer.Ordinal);
    private readonly List<IDisposable> _subscriptions = new();
    private volatile PgDisciplineOptions _options;
    private volatile QueryRuleSnapshot _rules = QueryRuleSnapshot.Empty;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task? _snapshotLoop;
    private long _version;

    private PgDisciplineRuntime(PgDisciplineOptions options, ILoggerFactory? loggerFactory)
    {
        _options = options;
        Logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("PgDiscipline");
        if (options.Statistics.Enabled)
        {
            Statistics = new QueryStatistics(
                options.Statistics,
                ["primary", .. options.Replicas.Select(ReplicaEndpoint.NameOf)],
                () => Router?.Replicas ?? [],
                maxTargets: 1 + Math.Max(64, 2 * options.Replicas.Count));
        }

        Timeline = new PrimaryTimelineGuard(() => _options, Logger);
        Router = options.Replicas.Count > 0 ? new ReplicaRouter(() => _options, Logger, options.Replicas, Statistics is { } s ? s.TargetIndex : null, Timeline) : null;

        Planner = new CommandPlanner(() => _options, () => _rules, Statistics);
        Enforcer = new RuleEnforcer(Logger);
        Recorder = new StatisticsRecorder(Planner, Statistics is not null);
        Primary = new PrimaryConnection(() => _options, Timeline);
        DatabaseRules = options.DatabaseRules.ConnectionString is null ? null : new DatabaseRuleSource(this, options.DatabaseRules);
        if (Statistics is not null && options.Statistics.SnapshotPath is { } path)
        {
            _snapshotLoop = WriteSnapshotsAsync(path, options.Statistics.SnapshotInterval, _stopping.Token);
        }

        MigrationTracker.EnsureSubscribed();
        PgDisciplineTelemetry.Register(this);
        Interceptors = CreateInterceptors(new RuntimeReference(this));
    }

    /// <summary>The options in force.</summary>
    public PgDisciplineOptions Options => _options;

    /// <summary>Rules rejected from the current rule set (each message names the rule and the problem).</summary>
    public IReadOnlyList<string> RuleErrors => _rules.Errors;

    /// <summary>Ids of the rules in force.</summary>
    public IReadOnlyList<string> ActiveRuleIds => _rules.Rules.Select(r => r.Id).ToArray();

    /// <summary>Per-fingerprint statistics (null when <c>Statistics.Enabled</c> is false).</summary>
    public QueryStatistics? Statistics { get; }

    /// <summary>Completes when the database rule table has been read once (immediately when it is not configured).</summary>
    public Task DatabaseRulesLoaded => DatabaseRules?.FirstLoad ?? Task.CompletedTask;

    /// <summary>The replicas and their last observed health (a snapshot taken now).</summary>
    public IReadOnlyList<ReplicaStatus> Replicas => Router is { } router ? router.Replicas.Select(r => r.Status()).ToArray() : [];

    /// <summary>The interceptors to add to a DbContext (<c>UsePgDiscipline</c> does this).</summary>
    internal IReadOnlyList<IInterceptor> Interceptors { get; }

    internal ILogger Logger { get; }

    /// <summary>The command, connection and transaction interceptors, finding their runtime through <paramref name="reference"/>.</summary>
    internal static IReadOnlyList<IInterceptor> CreateInterceptors(RuntimeReference reference) =>
    [
        new PgDisciplineCommandInterceptor(reference),
        new PgDisciplineConnectionInterceptor(reference),
        new PgDisciplineTransactionInterceptor(reference),
    ];

    /// <summary>Replica routing, when replicas are configured (the replica list is read once, at creation).</summary>
    internal ReplicaRouter? Router { get; }

    internal DatabaseRuleSource? DatabaseRules { get; }

    internal CommandPlanner Planner { get; }

    internal RuleEnforcer Enforcer { get; }

    internal StatisticsRecorder Recorder { get; }

    /// <summary>Identical reads in flight (Coalesce rules and tags).</summary>
    internal ReadCoalescer Coalescer { get; } = new();

    internal PrimaryConnection Primary { get; }

    /// <summary>No writes to a stale primary: the newest timeline seen, and the hosts refused.</summary>
    internal PrimaryTimelineGuard Timeline { get; }

    /// <summary>The newest primary timeline this runtime has seen (0 before its first primary connection).</summary>
    public long PrimaryTimeline => Timeline.NewestTimeline;

    /// <summary>The primary hosts refused now (<c>host:port</c>, with the timeline each is on): old primaries that came
    /// back after a promotion.</summary>
    public IReadOnlyDictionary<string, long> RefusedPrimaries => Timeline.Fenced;

    internal QueryRuleSnapshot Rules => _rules;

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
        var router = Router ?? throw new InvalidOperationException("This PgDiscipline runtime was created without replicas; configure at least one to change the replica set later.");
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

        router.SetReplicas(list);
    }

    /// <summary>Runs one round of replica health checks now (the monitor also runs them every <c>HealthCheckInterval</c>).</summary>
    public Task CheckReplicasNowAsync(CancellationToken cancellationToken = default)
        => Router?.Monitor.CheckAllAsync(cancellationToken) ?? Task.CompletedTask;

    /// <summary>Creates a runtime from options set in code; the caller owns (and disposes) it. Invalid options or rules
    /// throw <see cref="OptionsValidationException"/> naming each key.</summary>
    public static PgDisciplineRuntime Create(PgDisciplineOptions options, ILoggerFactory? loggerFactory = null)
    {
        ThrowIfInvalid(options);
        var runtime = new PgDisciplineRuntime(options, loggerFactory);
        runtime.SetRules("code", CodeRules(options));
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
    internal static PgDisciplineRuntime CreateForServices(IOptionsMonitor<PgDisciplineOptions> monitor, IConfiguration? section, ILoggerFactory? loggerFactory)
    {
        var options = monitor.CurrentValue;
        var runtime = new PgDisciplineRuntime(options, loggerFactory);
        runtime.SetRules("code", options.Rules.Items.Select((r, i) => (r, $"code rule {i}")));
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
            runtime._options = o;
            runtime.Bump();
            if (runtime.Router is { } router && o.Replicas.Count > 0)
            {
                router.SetReplicas([.. o.Replicas]);
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
        return SetRules(source, rules.Select((r, i) => (r, string.Create(CultureInfo.InvariantCulture, $"{source}:{i}"))), []);
    }

    internal IReadOnlyList<string> SetRules(string source, IEnumerable<(QueryRule Rule, string Key)> rules, IReadOnlyList<string>? sourceErrors = null)
    {
        ArgumentNullException.ThrowIfNull(rules);
        lock (_gate)
        {
            _ruleSources[source] = rules.Select(r => (r.Rule, r.Key, source)).ToList();
            _sourceErrors[source] = sourceErrors ?? [];
            var version = Interlocked.Increment(ref _version);
            var snapshot = QueryRuleCompiler.Compile(_ruleSources.Values.SelectMany(x => x), _rules, version, _sourceErrors.Values.SelectMany(x => x));
            _rules = snapshot;
            foreach (var error in snapshot.Errors)
            {
                PgDisciplineTelemetry.RulesRejected.Add(1);
                Log.RuleRejected(Logger, error);
            }

            Log.RulesLoaded(Logger, source, snapshot.Rules.Count, snapshot.Errors.Count);
            return snapshot.Errors.Where(e => _ruleSources[source].Any(r => e.StartsWith(r.Key, StringComparison.Ordinal))).ToArray();
        }
    }

    private IReadOnlyList<string> LoadConfigurationRules(IConfigurationSection rulesSection)
    {
        var parseErrors = new List<string>();
        var rules = ConfigurationRuleReader.Read(rulesSection, parseErrors);

        var compileErrors = SetRules("configuration", rules, parseErrors);
        return parseErrors.Concat(compileErrors).ToArray();
    }

    private void Bump()
    {
        lock (_gate)
        {
            var version = Interlocked.Increment(ref _version);
            _rules = QueryRuleCompiler.Compile(_ruleSources.Values.SelectMany(x => x), _rules, version, _sourceErrors.Values.SelectMany(x => x));
        }
    }

    private async Task WriteSnapshotsAsync(string path, TimeSpan interval, CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping).ConfigureAwait(false))
            {
                await TryWriteSnapshotAsync(path, stopping).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    private async Task TryWriteSnapshotAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            await Statistics!.WriteSnapshotAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Log.SnapshotFailed(Logger, path, ex.GetType().Name + ": " + ex.Message);
        }
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
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_snapshotLoop is not null)
        {
            await _snapshotLoop.ConfigureAwait(false);
            await TryWriteSnapshotAsync(Options.Statistics.SnapshotPath!, CancellationToken.None).ConfigureAwait(false);
        }

        PgDisciplineTelemetry.Unregister(this);
        if (DatabaseRules is not null)
        {
            await DatabaseRules.DisposeAsync().ConfigureAwait(false);
        }

        if (Router is not null)
        {
            await Router.DisposeAsync().ConfigureAwait(false);
        }

        await Timeline.DisposeAsync().ConfigureAwait(false);

        foreach (var s in _subscriptions)
        {
            s.Dispose();
        }

        foreach (var rule in _rules.Rules)
        {
            rule.Dispose();
        }
    }
}
