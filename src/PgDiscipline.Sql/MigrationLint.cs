using PgDiscipline.Sql.Migrations;

namespace PgDiscipline.Sql;

/// <summary>
/// Lints a migration script (for example the output of <c>dotnet ef migrations script</c>) statement by statement with the
/// migration rules (<c>PgDiscipline.Sql.Migrations</c>: one rule per file, the same rules the analyzer runs on EF Core
/// migrations). It follows <c>BEGIN</c>/<c>COMMIT</c> (or a migration runner that wraps the file in one transaction:
/// <see cref="MigrationLintOptions.AssumeInTransaction"/>), the tables created earlier in the same script, column types
/// through renames, constraints added and validated, functions declared IMMUTABLE/STABLE, lock and statement timeouts, and
/// the PostgreSQL version (<see cref="MigrationLintOptions.PostgresVersion"/>). Shared by the CLI's <c>lint</c> command, the
/// analyzer (raw <c>Sql(…)</c> in migrations) and the runtime migration guard. Token-based, linear in the script's length;
/// never throws.
/// </summary>
public static class MigrationLint
{
    /// <summary>The comment that allows rules for the next statement: <c>-- pgdiscipline-ignore PGD304, PGD315: reason</c>.</summary>
    public const string IgnoreDirective = Directives.Ignore;

    /// <summary>The comment that allows rules for the whole script: <c>-- pgdiscipline-ignore-file PGD315: reason</c>
    /// (without ids: every rule).</summary>
    public const string IgnoreFileDirective = Directives.IgnoreFile;

    /// <summary>Comments by which a migration file tells its runner not to wrap it in a transaction: ours, and those of
    /// goose, dbmate, Flyway and squawk. Such a file is not assumed to run in one
    /// (<see cref="MigrationLintOptions.AssumeInTransaction"/>).</summary>
    public static readonly IReadOnlyList<string> NoTransactionDirectives = Directives.NoTransaction;

    /// <summary>Lints <paramref name="script"/> with fresh state (inside a transaction from the first statement when
    /// <see cref="MigrationLintOptions.AssumeInTransaction"/>, unless the script says its runner must not wrap it:
    /// <see cref="NoTransactionDirectives"/>).</summary>
    public static IReadOnlyList<LintFinding> Lint(string? script, MigrationLintOptions? options = null)
    {
        options ??= new MigrationLintOptions();
        return Lint(script, options, new MigrationLintState { InTransaction = options.AssumeInTransaction && !DeclaresNoTransaction(script) });
    }

    /// <summary>Whether a comment of <paramref name="script"/> carries one of the <see cref="NoTransactionDirectives"/>.</summary>
    public static bool DeclaresNoTransaction(string? script) => Directives.DeclaresNoTransaction(script);

    /// <summary>Whether <paramref name="sql"/> has the word CONCURRENTLY outside strings and comments (CREATE/DROP INDEX,
    /// REINDEX, REFRESH MATERIALIZED VIEW, DETACH PARTITION … CONCURRENTLY): such a statement cannot run in a transaction
    /// block, so it must not get a transaction-local timeout prefix nor be retried as one.</summary>
    public static bool IsConcurrent(string? sql) => SqlLexer.ContainsWord(sql, "concurrently");

    /// <summary>Lints <paramref name="script"/>, continuing from (and updating) <paramref name="state"/>.</summary>
    public static IReadOnlyList<LintFinding> Lint(string? script, MigrationLintOptions? options, MigrationLintState state)
        => new ScriptReader(script ?? string.Empty, options ?? new MigrationLintOptions(), state ?? new MigrationLintState()).Read();
}
