using System.Data.Common;
using Npgsql;
using PgDiscipline.Sql;

namespace PgDiscipline.Migrations;

/// <summary>
/// Applied to every command EF Core runs for a migration (CommandSource.Migrations): lints it with the PGD3xx rules
/// (state carried across the migration's statements), refuses error-level findings the migration does not allow with
/// <see cref="AllowUnsafeMigrationAttribute"/>, prefixes a transaction-local <c>lock_timeout</c> (and optional
/// <c>statement_timeout</c>; never for CONCURRENTLY statements), and retries a statement outside a transaction that gave
/// up on the lock timeout. A statement inside the migration's transaction that times out aborts the migration; use
/// <see cref="MigrationExtensions.MigrateWithRetryAsync"/> to retry the migration.
/// </summary>
internal static class MigrationGuard
{
    private static readonly MigrationLintOptions LintOptions = new() { RequireLockTimeout = false };

    /// <summary>Checks and prepares the command; returns true when the caller should run it through <see cref="ExecuteWithRetryAsync"/>.</summary>
    public static bool Prepare(PgDisciplineRuntime runtime, DbCommand command)
    {
        var options = runtime.Options.Migrations;
        var text = command.CommandText;
        if (text.Contains("__EFMigrations", StringComparison.Ordinal))
        {
            return false; // EF Core's own history and lock tables
        }

        var migration = MigrationTracker.Current;
        var concurrently = SqlLexer.ContainsWord(text, "concurrently");
        if (migration is not null)
        {
            migration.Lint.InTransaction = command.Transaction is not null;
            foreach (var finding in MigrationLint.Lint(text, LintOptions, migration.Lint))
            {
                if (finding.Severity != LintSeverity.Error)
                {
                    Log.MigrationWarning(runtime.Logger, migration.Id, finding.RuleId, finding.Message);
                }
                else if (migration.Allowed.Contains(finding.RuleId))
                {
                    Log.UnsafeMigrationAllowed(runtime.Logger, migration.Id, finding.RuleId);
                }
                else if (options.RefuseUnsafe)
                {
                    throw new UnsafeMigrationException(migration.Id, SqlFingerprint.Compute(text).Normalized, finding.RuleId, finding.Message);
                }
            }
        }

        if (!concurrently && TimeoutSql.SetConfigBatch(options.StatementTimeout, options.LockTimeout, null) is { } prefix)
        {
            command.CommandText = prefix + text;
        }

        return command.Transaction is null && !concurrently && options.MaxAttempts > 1;
    }

    /// <summary>Runs a statement that is outside a transaction, retrying with backoff when it gives up on the lock timeout.</summary>
    public static async ValueTask<int> ExecuteWithRetryAsync(PgDisciplineRuntime runtime, DbCommand command, bool sync, CancellationToken cancellationToken)
    {
        var options = runtime.Options.Migrations;
        var backoff = options.RetryBackoff;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return sync ? command.ExecuteNonQuery() : await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.LockNotAvailable && attempt < options.MaxAttempts)
            {
                Log.MigrationLockRetry(runtime.Logger, attempt, options.MaxAttempts, backoff);
                await Task.Delay(backoff, cancellationToken).ConfigureAwait(false);
                backoff = MigrationGuardOptions.NextBackoff(backoff);
            }
        }
    }
}
