using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using PgDiscipline.Operations.Backfill;
using PgDiscipline.Operations.Diagnostics;

namespace PgDiscipline;

/// <summary>
/// Runs a <see cref="BackfillDefinition"/> against the primary, patiently: keyset batches over the table's unique key,
/// each batch and its progress row in one short transaction (lock and statement timeouts set per batch), so a process
/// killed at any moment resumes where the last commit left it and every key is done exactly once. Between batches it
/// waits while a pause is requested, a replica lags, the primary guard says so, or the window is closed; it holds to
/// <see cref="BackfillOptions.RowsPerSecond"/> and adapts the batch size to <see cref="BackfillOptions.TargetBatchDuration"/>.
/// One runner per backfill at a time: a session-level advisory lock on a connection the runner keeps open (released by
/// PostgreSQL the moment the runner's process dies), and every batch checks it still owns the row.
/// </summary>
/// <remarks>The data source must reach the primary directly, or through PgBouncer in session mode: the runner's lock is a
/// session lock, which transaction pooling would hand to other clients.</remarks>
public sealed class BackfillRunner
{
    private readonly NpgsqlDataSource _primary;
    private readonly BackfillDefinition _definition;
    private readonly BackfillOptions _options;
    private readonly ILogger _logger;
    private readonly string _owner;

    /// <summary>Creates a runner. <paramref name="primary"/> must reach the primary (see remarks).</summary>
    public BackfillRunner(NpgsqlDataSource primary, BackfillDefinition definition, BackfillOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(primary);
        ArgumentNullException.ThrowIfNull(definition);
        _primary = primary;
        _definition = definition;
        _options = options ?? new BackfillOptions();
        _logger = loggerFactory?.CreateLogger("PgDiscipline") ?? _options.Logger ?? NullLogger.Instance;
        _owner = BackfillLease.NewOwner();
    }

    /// <summary>The backfill's name.</summary>
    public string Name => _definition.Name;

    /// <summary>This runner's identity in the progress row (host:process:id).</summary>
    public string Owner => _owner;

    /// <summary>
    /// Runs the backfill until every key is done, it is cancelled (<c>pgdiscipline backfill cancel</c>), or
    /// <paramref name="cancellationToken"/> fires (between batches, or the batch in flight is rolled back). Returns where
    /// it stands. Before anything is written, the definition is checked against the database: an unknown table or key
    /// column, a key without a unique index of its own or that allows nulls, a statement that does not plan, or a name
    /// used for another definition throw <see cref="BackfillDefinitionException"/>; another runner holding it throws
    /// <see cref="BackfillLeaseException"/> (or is waited for). A batch error a retry cannot fix marks it failed and is rethrown.
    /// </summary>
    public async Task<BackfillProgress> RunAsync(IProgress<BackfillProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var problems = _options.Validate();
        if (problems.Count > 0)
        {
            throw new BackfillDefinitionException(Name, "invalid options: " + string.Join("; ", problems));
        }

        await using var connection = await _primary.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var target = await BackfillTarget.ResolveAsync(connection, _definition, cancellationToken).ConfigureAwait(false);
        try
        {
            await _definition.Work.DryRunAsync(connection, target.KeyType, cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException ex)
        {
            // SQLSTATE and object names only: a message can quote a value of the statement.
            throw new BackfillDefinitionException(Name, $"the batch statement does not run on {target.Table}: {SafeErrorText.Describe(ex)}");
        }

        // Checked: from here on the runner writes.
        await BackfillCatalog.EnsureSchemaAsync(connection, cancellationToken).ConfigureAwait(false);
        var lease = new BackfillLease(connection, Name, _options.TimeProvider);
        await lease.AcquireAsync(_options.WaitForOtherRunner, _options.CheckInterval, cancellationToken).ConfigureAwait(false);
        try
        {
            var store = new BackfillStore(_primary, connection, _definition, target, _options, _owner);
            var throttle = new BackfillThrottle(_options, Name, BackfillThrottle.PrimaryProbe(connection, _options));
            var run = new BackfillRun(Name, target, _owner, _options.TimeProvider, _options.BatchSize);
            return await new BatchLoop(store, throttle, run, _options, _logger, progress).ExecuteAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await lease.ReleaseAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Every backfill in <c>pgdiscipline.backfills</c> (none when the table does not exist).</summary>
    public static Task<IReadOnlyList<BackfillProgress>> ListAsync(NpgsqlDataSource primary, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(primary);
        return BackfillCatalog.ListAsync(primary, cancellationToken);
    }

    /// <summary>Asks the runner of <paramref name="name"/> to pause (it waits between batches), resume, or cancel (it stops
    /// after the batch in flight). Returns false when no such backfill exists.</summary>
    public static Task<bool> RequestAsync(NpgsqlDataSource primary, string name, BackfillRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(primary);
        return BackfillCatalog.RequestAsync(primary, name, request, cancellationToken);
    }
}
