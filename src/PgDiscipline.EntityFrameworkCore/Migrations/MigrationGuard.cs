using System.Data.Common;
using Microsoft.Extensions.Logging;
using Npgsql;
using PgDiscipline.Configuration;
using PgDiscipline.Pipeline;
using PgDiscipline.Sql;
using PgDiscipline.Timeouts;
using PgDiscipline.Diagnostics;

namespace PgDiscipline.Migrations;

/// <summary>
/// The stage for every statement EF Core runs for a migration (CommandSource.Migrations, executed without a result): lints
/// it with the PGD3xx rules (state carried across the migration's statements), refuses error-level findings the migration
/// does not allow with <see cref="AllowUnsafeMigrationAttribute"/>, prefixes a transaction-local <c>lock_timeout</c> (and
/// optional <c>statement_timeout</c>; never for CONCURRENTLY statements), and retries a statement outside a transaction
/// that gave up on the lock timeout. A statement inside the migration's transaction that times out aborts the
/// migration; use <see cref="MigrationExtensions.MigrateWithRetryAsync"/> to retry the migration.
/// </summary>
internal sealed class MigrationGuard(CurrentOptions options, PrimaryConnection primary, ILogger logger, TimeProvider time) : ICommandStage
{
    private static readonly MigrationLintOptions LintOptions = new() { RequireLockTimeout = false };

    public bool AppliesTo(CommandPlan plan, ExecutionKind kind) => kind == ExecutionKind.NonQuery && options.Value.Migrations.Enabled;

    public ValueTask<Served> ExecuteAsync(CommandExecution execution, StageCursor next, CancellationToken cancellationToken)
        => AppliesTo(execution.Plan, execution.Kind) && execution.Source == Microsoft.EntityFrameworkCore.Diagnostics.CommandSource.Migrations
            ? GuardAsync(execution, cancellationToken)
            : next.ExecuteAsync(execution, cancellationToken);

    private async ValueTask<Served> GuardAsync(CommandExecution execution, CancellationToken cancellationToken)
    {
        var command = execution.Command;
        await primary.EnsureOpen(command.Connection, execution.Sync, cancellationToken).ConfigureAwait(false);
        execution.RanOn(0, slot: null);
        if (!Prepare(execution))
        {
            return Served.None;
        }

        return Served.WithRows(await ExecuteWithRetryAsync(command, execution.Sync, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Checks and shapes the command; true when it should run here with retries.</summary>
    private bool Prepare(CommandExecution execution)
    {
        var guard = options.Value.Migrations;
        var command = execution.Command;
        var text = command.CommandText;
        if (text.Contains("__EFMigrations", StringComparison.Ordinal))
        {
            return false; // EF Core's own history and lock tables
        }

        var migration = MigrationTracker.Current;
        var concurrently = MigrationLint.IsConcurrent(text);
        if (migration is not null)
        {
            migration.Lint.InTransaction = command.Transaction is not null;
            foreach (var finding in MigrationLint.Lint(text, LintOptions, migration.Lint))
            {
                if (finding.Severity != RuleSeverity.Error)
                {
                    Log.MigrationWarning(logger, migration.Id, finding.RuleId, finding.Message);
                }
                else if (migration.Allowed.Contains(finding.RuleId))
                {
                    Log.UnsafeMigrationAllowed(logger, migration.Id, finding.RuleId);
                }
                else if (guard.RefuseUnsafe)
                {
                    throw new UnsafeMigrationException(migration.Id, SqlFingerprint.Compute(text).Normalized, finding.RuleId, finding.Message);
                }
            }
        }

        if (!concurrently && TimeoutSql.SetConfigBatch(guard.StatementTimeout, guard.LockTimeout, null) is { } prefix)
        {
            execution.Shape.Prefix = prefix;
            command.CommandText = execution.Plan.TextFor(execution.Shape);
        }

        return command.Transaction is null && !concurrently && guard.MaxAttempts > 1;
    }

    /// <summary>Runs a statement that is outside a transaction, retrying with backoff when it gives up on the lock timeout.</summary>
    private async ValueTask<int> ExecuteWithRetryAsync(DbCommand command, bool sync, CancellationToken cancellationToken)
    {
        var guard = options.Value.Migrations;
        var backoff = guard.RetryBackoff;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return sync ? command.ExecuteNonQuery() : await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.LockNotAvailable && attempt < guard.MaxAttempts)
            {
                Log.MigrationLockRetry(logger, attempt, guard.MaxAttempts, backoff);
                var delay = Task.Delay(backoff, time, cancellationToken);
                if (sync)
                {
                    delay.GetAwaiter().GetResult();
                }
                else
                {
                    await delay.ConfigureAwait(false);
                }

                backoff = MigrationGuardOptions.NextBackoff(backoff);
            }
        }
    }
}
