using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using PgDiscipline.Sql;

namespace PgDiscipline;

/// <summary>What the interceptors decided for one distinct command text, computed once per options/rules version.</summary>
internal sealed class CommandPlan
{
    public required long Version { get; init; }

    public required string Fingerprint { get; init; }

    /// <summary>What PgDiscipline.Sql knows about the text.</summary>
    public required SqlCommandInfo Info { get; init; }

    public required CompiledRule[] Rules { get; init; }

    /// <summary>Statement timeout from a tag or a Timeout rule (null: the configured default).</summary>
    public required TimeSpan? StatementTimeoutOverride { get; init; }

    /// <summary>Command text with the per-transaction <c>set_config</c> prefix, for commands outside an explicit transaction
    /// (null when nothing needs to be set).</summary>
    public required string? PrefixedOutsideTransaction { get; init; }

    /// <summary>Command text with only the statement-timeout override, for commands inside an explicit transaction.</summary>
    public required string? PrefixedInsideTransaction { get; init; }

    /// <summary>Client-side command timeout aligned above the server's, or null.</summary>
    public required int? ClientTimeoutSeconds { get; init; }

    /// <summary>PgDiscipline.Sql says a replica can serve it.</summary>
    public required bool IsReplicaSafe { get; init; }

    /// <summary>The query's own routing intent (tags).</summary>
    public required ReadIntent Intent { get; init; }

    /// <summary>The query's own priority (tag).</summary>
    public required QueryPriority? Priority { get; init; }

    /// <summary>A Route rule's target (pool name or <c>primary</c>).</summary>
    public required string? RouteTo { get; init; }

    /// <summary>The text to run on a replica (with the timeout prefix when one is needed there).</summary>
    public required string ReplicaText { get; init; }

    public required bool ReplicaTextIsPrefixed { get; init; }

    /// <summary>Statistics entry of this fingerprint (null when statistics are off).</summary>
    public required FingerprintStatistics? Stats { get; init; }

    /// <summary>Counter of this text's call site (from <c>TagWithCallSite()</c>), or null.</summary>
    public required FingerprintStatistics.Counter? CallSite { get; init; }
}

/// <summary>
/// One PgDiscipline instance: options, rules, the fingerprint cache and the EF Core interceptors that use them.
/// Shared by every DbContext configured with the same settings (created by <c>UsePgDiscipline</c> or resolved from DI).
/// </summary>
public sealed partial class PgDisciplineRuntime : IDisposable, IAsyncDisposable
{
    internal const string TagPrefix = "pgdiscipline:";
    internal const string StatementTimeoutTag = TagPrefix + "statement_timeout=";
    internal const string ReadReplicaTag = TagPrefix + "read=replica";
    internal const string ReadPrimaryTag = TagPrefix + "read=primary";
    internal const string PriorityTag = TagPrefix + "priority=";

    private static readonly ConcurrentDictionary<string, PgDisciplineRuntime> CodeConfigured = new(StringComparer.Ordinal);

    private readonly ConditionalWeakTable<SqlCommandInfo, CommandPlan> _plans = new();
    private readonly ConditionalWeakTable<string, CommandPlan> _prefixedPlans = new();
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
        Router = options.Replicas.Count > 0 ? new ReplicaRouter(this, options.Replicas) : null;
        DatabaseRules = options.DatabaseRules.ConnectionString is null ? null : new DatabaseRuleSource(this, options.DatabaseRules);
        if (options.Statistics.Enabled)
        {
            var replicas = Router?.Replicas ?? [];
            Statistics = new QueryStatistics(options.Statistics, ["primary", .. replicas.Select(r => r.Name)], () => Replicas);
            if (options.Statistics.SnapshotPath is { } path)
            {
                _snapshotLoop = WriteSnapshotsAsync(path, options.Statistics.SnapshotInterval, _stopping.Token);
            }
        }

        MigrationTracker.EnsureSubscribed();
        PgDisciplineTelemetry.Register(this);
        Interceptors =
        [
            new PgDisciplineCommandInterceptor(this),
            new PgDisciplineConnectionInterceptor(this),
            new PgDisciplineTransactionInterceptor(this),
        ];
    }

    /// <summary>The interceptors to add to a DbContext (<c>UsePgDiscipline</c> does this).</summary>
    public IReadOnlyList<IInterceptor> Interceptors { get; }

    /// <summary>The options in force.</summary>
    public PgDisciplineOptions Options => _options;

    /// <summary>Rules rejected from the current rule set (each message names the rule and the problem).</summary>
    public IReadOnlyList<string> RuleErrors => _rules.Errors;

    /// <summary>Ids of the rules in force.</summary>
    public IReadOnlyList<string> ActiveRuleIds => _rules.Rules.Select(r => r.Id).ToArray();

    internal SqlFingerprintCache Cache { get; } = new();

    /// <summary>Per-fingerprint statistics (null when <c>Statistics.Enabled</c> is false).</summary>
    public QueryStatistics? Statistics { get; }

    /// <summary>Writes the statistics snapshot (<c>pgdiscipline.stats/v1</c> JSON) to <paramref name="path"/>.</summary>
    public Task WriteStatisticsSnapshotAsync(string path, CancellationToken cancellationToken = default)
        => Statistics?.WriteSnapshotAsync(path, cancellationToken)
           ?? throw new InvalidOperationException("Statistics are disabled (PgDiscipline:Statistics:Enabled = false).");

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

    /// <summary>Replica routing, when replicas are configured (the replica list is read once, at creation).</summary>
    internal ReplicaRouter? Router { get; }

    internal DatabaseRuleSource? DatabaseRules { get; }

    /// <summary>Completes when the database rule table has been read once (immediately when it is not configured).</summary>
    public Task DatabaseRulesLoaded => DatabaseRules?.FirstLoad ?? Task.CompletedTask;

    /// <summary>The replicas and their last observed health.</summary>
    public IReadOnlyList<ReplicaEndpoint> Replicas => Router?.Replicas ?? [];

    /// <summary>Runs one round of replica health checks now (the monitor also runs them every <c>HealthCheckInterval</c>).</summary>
    public Task CheckReplicasNowAsync(CancellationToken cancellationToken = default)
        => Router?.Monitor.CheckAllAsync(cancellationToken) ?? Task.CompletedTask;

    internal ILogger Logger { get; }

    internal QueryRuleSnapshot Rules => _rules;

    /// <summary>Creates a runtime from options set in code. Invalid options or rules throw
    /// <see cref="OptionsValidationException"/> naming each key.</summary>
    public static PgDisciplineRuntime Create(PgDisciplineOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = PgDisciplineOptionsValidator.Collect(options, PgDisciplineOptions.SectionName).ToList();
        var runtime = new PgDisciplineRuntime(options, loggerFactory);
        runtime.SetRules("code", options.Rules.Items.Select((r, i) => (r, string.Create(CultureInfo.InvariantCulture, $"{PgDisciplineOptions.SectionName}:Rules:{i}"))));
        errors.AddRange(runtime.RuleErrors);
        if (errors.Count > 0)
        {
            throw new OptionsValidationException(Microsoft.Extensions.Options.Options.DefaultName, typeof(PgDisciplineOptions), errors);
        }

        return runtime;
    }

    /// <summary>The runtime for these code-configured options: the same settings give the same (shared) instance.</summary>
    internal static PgDisciplineRuntime GetOrCreate(PgDisciplineOptions options, ILoggerFactory? loggerFactory)
        => CodeConfigured.GetOrAdd(CanonicalKey(options), _ => Create(options, loggerFactory));

    /// <summary>Creates the DI runtime: options from <paramref name="monitor"/> (reloaded live), rules from code and from
    /// the <c>Rules</c> child of <paramref name="section"/> (reloaded live; a malformed rule is logged and left out).</summary>
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
        });
        if (change is not null)
        {
            runtime._subscriptions.Add(change);
        }

        return runtime;
    }

    /// <summary>Replaces the rules of one source (e.g. <c>code</c>, <c>configuration</c>, <c>database</c>). Invalid rules are
    /// left out and reported (log event 1001, <see cref="RuleErrors"/>); valid ones take effect at once.</summary>
    public IReadOnlyList<string> SetRules(string source, IEnumerable<(QueryRule Rule, string Key)> rules)
        => SetRules(source, rules, []);

    internal IReadOnlyList<string> SetRules(string source, IEnumerable<(QueryRule Rule, string Key)> rules, IReadOnlyList<string> sourceErrors)
    {
        ArgumentNullException.ThrowIfNull(rules);
        lock (_gate)
        {
            _ruleSources[source] = rules.Select(r => (r.Rule, r.Key, source)).ToList();
            _sourceErrors[source] = sourceErrors;
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

    /// <summary>The plan for a command text (cached per distinct text and version).</summary>
    internal CommandPlan GetPlan(SqlCommandInfo info, string commandText, CommandSource source = CommandSource.Unknown)
    {
        var rules = _rules;
        if (_plans.TryGetValue(info, out var plan) && plan.Version == rules.Version)
        {
            return plan;
        }

        plan = BuildPlan(info, commandText, rules, source);
        _plans.AddOrUpdate(info, plan);
        return plan;
    }

    /// <summary>The plan of a command the interceptors already saw, from its (possibly prefixed) text; null if unknown.</summary>
    internal CommandPlan? PlanOfExecuted(string commandText)
    {
        if (commandText.StartsWith(TimeoutSql.Marker, StringComparison.Ordinal))
        {
            return _prefixedPlans.TryGetValue(commandText, out var prefixed) ? prefixed : null;
        }

        return _plans.TryGetValue(Cache.Get(commandText), out var plan) ? plan : null;
    }

    private CommandPlan BuildPlan(SqlCommandInfo info, string commandText, QueryRuleSnapshot rules, CommandSource source)
    {
        var options = _options;
        var matched = rules.Match(info);
        TimeSpan? overrideTimeout = null;
        var intent = ReadIntent.None;
        QueryPriority? priority = null;
        string? routeTo = null;
        foreach (var tag in info.Tags)
        {
            if (!tag.StartsWith(TagPrefix, StringComparison.Ordinal))
            {
                continue;
            }

            if (tag.StartsWith(StatementTimeoutTag, StringComparison.Ordinal) && TryParseMilliseconds(tag.AsSpan(StatementTimeoutTag.Length), out var t))
            {
                overrideTimeout = t;
            }
            else if (tag.StartsWith(ReadPrimaryTag, StringComparison.Ordinal))
            {
                intent = ReadIntent.Primary;
            }
            else if (tag == ReadReplicaTag && intent != ReadIntent.Primary)
            {
                intent = ReadIntent.Replica;
            }
            else if (tag.StartsWith(PriorityTag, StringComparison.Ordinal) && Enum.TryParse<QueryPriority>(tag.AsSpan(PriorityTag.Length), ignoreCase: true, out var p))
            {
                priority = p;
            }
        }

        foreach (var rule in matched)
        {
            if (rule.Action == QueryRuleAction.Timeout)
            {
                overrideTimeout = rule.Rule.Timeout;
            }
            else if (rule.Action == QueryRuleAction.Route)
            {
                routeTo = rule.Rule.RouteTo;
            }
        }

        var timeouts = options.Timeouts;
        var statement = overrideTimeout ?? timeouts.Statement;
        string? outside = null;
        if (options.Pooler == PoolerMode.PgBouncerTransaction)
        {
            outside = TimeoutSql.SetConfigBatch(statement, timeouts.Lock, timeouts.IdleInTransaction);
        }
        else if (overrideTimeout is not null)
        {
            outside = TimeoutSql.SetConfigBatch(overrideTimeout, null, null);
        }

        var inside = overrideTimeout is null ? null : TimeoutSql.SetConfigBatch(overrideTimeout, null, null);
        var stats = Statistics?.For(info, source == CommandSource.Unknown ? null : source.ToString());
        var callSite = stats is not null && Statistics!.CallSiteOf(info) is { } site ? stats.CallSite(site) : null;
        var plan = new CommandPlan
        {
            Version = rules.Version,
            Fingerprint = info.Fingerprint.ToString(),
            Info = info,
            Rules = matched,
            StatementTimeoutOverride = overrideTimeout,
            PrefixedOutsideTransaction = outside is null ? null : outside + commandText,
            PrefixedInsideTransaction = inside is null ? null : inside + commandText,
            ClientTimeoutSeconds = statement is { } s ? TimeoutSql.ClientCommandTimeoutSeconds(s) : null,
            IsReplicaSafe = info.IsReplicaSafe,
            Intent = intent,
            Priority = priority,
            RouteTo = routeTo,
            ReplicaText = outside is null ? commandText : outside + commandText,
            ReplicaTextIsPrefixed = outside is not null,
            Stats = stats,
            CallSite = callSite,
        };

        // Commands run with a prefixed text; the Executed/Failed events see that text, so map it back to the plan.
        if (plan.PrefixedOutsideTransaction is { } o)
        {
            _prefixedPlans.AddOrUpdate(o, plan);
        }

        if (plan.PrefixedInsideTransaction is { } i)
        {
            _prefixedPlans.AddOrUpdate(i, plan);
        }

        return plan;
    }

    private static bool TryParseMilliseconds(ReadOnlySpan<char> text, out TimeSpan value)
    {
        value = default;
        if (text.EndsWith("ms", StringComparison.Ordinal)
            && long.TryParse(text[..^2], NumberStyles.None, CultureInfo.InvariantCulture, out var ms) && ms > 0)
        {
            value = TimeSpan.FromMilliseconds(ms);
            return true;
        }

        return false;
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

        foreach (var s in _subscriptions)
        {
            s.Dispose();
        }

        foreach (var rule in _rules.Rules)
        {
            rule.Dispose();
        }
    }

    private static string CanonicalKey(PgDisciplineOptions o)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"{o.DefaultRead}|{o.Consistency}|{o.MaxReplicaLag.Ticks}|{o.HealthCheckInterval.Ticks}|{o.FallbackToPrimary}|{o.LazyPrimaryConnection}|{o.Pooler}|");
        sb.Append(CultureInfo.InvariantCulture, $"{o.Timeouts.Statement?.Ticks}|{o.Timeouts.Lock?.Ticks}|{o.Timeouts.IdleInTransaction?.Ticks}|");
        foreach (var r in o.Replicas)
        {
            sb.Append(CultureInfo.InvariantCulture, $"R:{r.ConnectionString}|{r.Name}|{r.Pool}|{r.Weight}|{r.Timeouts.Statement?.Ticks}|{r.Timeouts.Lock?.Ticks}|{r.Timeouts.IdleInTransaction?.Ticks}|");
        }

        foreach (var r in o.Rules.Items)
        {
            sb.Append(CultureInfo.InvariantCulture, $"Q:{r.Id}|{r.Fingerprint}|{r.Tag}|{r.Table}|{r.Action}|{r.Reason}|{r.PermitsPerSecond}|{r.Burst}|{r.MaxConcurrency}|{r.MaxQueueTime.Ticks}|{r.Timeout?.Ticks}|{r.ExpiresAt?.UtcTicks}|{r.RouteTo}|");
        }

        var m = o.Migrations;
        sb.Append(CultureInfo.InvariantCulture, $"M:{m.Enabled}|{m.LockTimeout.Ticks}|{m.StatementTimeout?.Ticks}|{m.RefuseUnsafe}|{m.MaxAttempts}|{m.RetryBackoff.Ticks}|");
        var st = o.Statistics;
        sb.Append(CultureInfo.InvariantCulture, $"S:{st.Enabled}|{st.MaxFingerprints}|{st.SnapshotPath}|{st.SnapshotInterval.Ticks}|{st.SourceRoot}|");
        sb.Append(CultureInfo.InvariantCulture, $"D:{o.DatabaseRules.ConnectionString}|{o.DatabaseRules.PollInterval.Ticks}|{o.DatabaseRules.CreateTable}");

        return sb.ToString();
    }
}

/// <summary>Log messages with stable event ids (1000–1099). Never contain literal values or passwords.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Error, Message = "Query rule rejected: {Problem}")]
    public static partial void RuleRejected(ILogger logger, string problem);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Query rules from {Source} loaded: {Count} in force, {Rejected} rejected")]
    public static partial void RulesLoaded(ILogger logger, string source, int count, int rejected);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "Query {Fingerprint} blocked by rule {RuleId}: {Reason}")]
    public static partial void QueryBlocked(ILogger logger, string fingerprint, string ruleId, string reason);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Warning, Message = "Query {Fingerprint} rate-limited by rule {RuleId}")]
    public static partial void QueryRateLimited(ILogger logger, string fingerprint, string ruleId);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Warning, Message = "Rule table unavailable ({Error}); retrying in {Backoff}")]
    public static partial void RuleTableUnavailable(ILogger logger, string error, TimeSpan backoff);

    [LoggerMessage(EventId = 1020, Level = LogLevel.Warning, Message = "Migration {Migration}: {RuleId} allowed by [AllowUnsafeMigration]")]
    public static partial void UnsafeMigrationAllowed(ILogger logger, string migration, string ruleId);

    [LoggerMessage(EventId = 1021, Level = LogLevel.Warning, Message = "Migration {Migration}: {RuleId} {Problem}")]
    public static partial void MigrationWarning(ILogger logger, string migration, string ruleId, string problem);

    [LoggerMessage(EventId = 1022, Level = LogLevel.Warning, Message = "Migration statement gave up on lock_timeout (attempt {Attempt} of {MaxAttempts}); retrying in {Backoff}")]
    public static partial void MigrationLockRetry(ILogger logger, int attempt, int maxAttempts, TimeSpan backoff);

    [LoggerMessage(EventId = 1030, Level = LogLevel.Warning, Message = "Statistics snapshot could not be written to {Path}: {Error}")]
    public static partial void SnapshotFailed(ILogger logger, string path, string error);

    [LoggerMessage(EventId = 1010, Level = LogLevel.Warning, Message = "Replica {Replica} taken out of rotation: {Reason}")]
    public static partial void ReplicaEjected(ILogger logger, string replica, string reason);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Information, Message = "Replica {Replica} back in rotation")]
    public static partial void ReplicaAdmitted(ILogger logger, string replica);

    [LoggerMessage(EventId = 1012, Level = LogLevel.Warning, Message = "Read on replica {Replica} failed at connection level ({Error}); trying elsewhere")]
    public static partial void ReplicaReadFailed(ILogger logger, string replica, string error);

    [LoggerMessage(EventId = 1013, Level = LogLevel.Error, Message = "Replica health loop failed")]
    public static partial void HealthLoopFailed(ILogger logger, Exception exception);
}
