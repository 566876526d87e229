using System.Text;

namespace PgDiscipline.Sql;

/// <summary>Severity of a lint finding.</summary>
public enum LintSeverity
{
    /// <summary>Worth a look; may be safe in context.</summary>
    Warning,

    /// <summary>Takes a long lock, rewrites a table, or fails at run time.</summary>
    Error,
}

/// <summary>One finding of <see cref="MigrationLint"/>.</summary>
public sealed class LintFinding
{
    internal LintFinding(string ruleId, LintSeverity severity, string message, int statementIndex, int offset, int line, int column)
    {
        RuleId = ruleId;
        Severity = severity;
        Message = message;
        StatementIndex = statementIndex;
        Offset = offset;
        Line = line;
        Column = column;
    }

    /// <summary>PGDnnn.</summary>
    public string RuleId { get; }

    /// <summary>Severity.</summary>
    public LintSeverity Severity { get; }

    /// <summary>What is wrong and what to do instead (names tables and columns, never literal values).</summary>
    public string Message { get; }

    /// <summary>Zero-based index of the statement in the script.</summary>
    public int StatementIndex { get; }

    /// <summary>Character offset of the statement.</summary>
    public int Offset { get; }

    /// <summary>1-based line of the statement start.</summary>
    public int Line { get; }

    /// <summary>1-based column of the statement start.</summary>
    public int Column { get; }
}

/// <summary>What the lint knows from earlier statements: tables created, tables with a validated constraint, whether a
/// transaction and a lock_timeout are in force. Pass the same instance to successive calls to lint a migration
/// statement by statement (the runtime migration guard does).</summary>
public sealed class MigrationLintState
{
    internal HashSet<string> Created { get; } = new(StringComparer.Ordinal);

    internal HashSet<string> Validated { get; } = new(StringComparer.Ordinal);

    /// <summary>Whether the statements that follow run inside a transaction block.</summary>
    public bool InTransaction { get; set; }

    internal bool LockTimeoutSet { get; set; }

    internal bool LockTimeoutReported { get; set; }

    /// <summary>Records a table created by other means (e.g. an EF Core CreateTable operation) as new.</summary>
    public void MarkCreated(string table) => Created.Add(table);

    /// <summary>Tables created so far.</summary>
    public IReadOnlyCollection<string> CreatedTables => Created;

    /// <summary>Treat the statements that follow as running with a lock_timeout (the guard sets one itself).</summary>
    public bool AssumeLockTimeout
    {
        get => LockTimeoutSet;
        set => LockTimeoutSet = value;
    }
}

/// <summary>Options of <see cref="MigrationLint"/>.</summary>
public sealed class MigrationLintOptions
{
    /// <summary>PGD311: the database is closed to new tables.</summary>
    public bool ClosedToNewTables { get; set; }

    /// <summary>PGD315: require <c>SET lock_timeout</c> before DDL on existing tables. Default true.</summary>
    public bool RequireLockTimeout { get; set; } = true;
}

/// <summary>
/// Lints a migration script (for example the output of <c>dotnet ef migrations script</c>) statement by statement, aware
/// of <c>BEGIN</c>/<c>COMMIT</c>, of tables created earlier in the same script ("existing table" = not created earlier),
/// and of <c>lock_timeout</c> settings. Shared by the CLI's <c>lint</c> command and (later) the analyzer PGD312 and the
/// runtime migration guard. Token-based; never throws.
/// </summary>
public static class MigrationLint
{
    private static readonly HashSet<string> VolatileDefaults = new(StringComparer.OrdinalIgnoreCase)
    {
        "clock_timestamp", "random", "gen_random_uuid", "uuid_generate_v1", "uuid_generate_v1mc", "uuid_generate_v4",
        "timeofday", "nextval", "txid_current", "statement_timestamp", "uuidv7", "uuidv4",
    };

    private static readonly HashSet<string> SerialTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        "serial", "serial4", "bigserial", "serial8", "smallserial", "serial2",
    };

    /// <summary>Lints <paramref name="script"/>.</summary>
    public static IReadOnlyList<LintFinding> Lint(string? script, MigrationLintOptions? options = null)
        => Lint(script, options, new MigrationLintState());

    /// <summary>Lints <paramref name="script"/>, continuing from (and updating) <paramref name="state"/>.</summary>
    public static IReadOnlyList<LintFinding> Lint(string? script, MigrationLintOptions? options, MigrationLintState state)
    {
        script ??= string.Empty;
        options ??= new MigrationLintOptions();
        state ??= new MigrationLintState();
        var findings = new List<LintFinding>();
        var created = state.Created;
        var validated = state.Validated; // tables with a VALIDATE CONSTRAINT earlier
        var inTransaction = state.InTransaction;
        var lockTimeoutSet = state.LockTimeoutSet;
        var lockTimeoutReported = state.LockTimeoutReported;
        var lineStarts = LineStarts(script);
        var info = SqlCommandInfo.Analyze(script);

        for (var index = 0; index < info.Statements.Count; index++)
        {
            var statement = info.Statements[index];
            var words = Words(script, statement);
            if (words.Count == 0)
            {
                continue;
            }

            void Report(string id, LintSeverity severity, string message)
            {
                var (line, column) = Position(lineStarts, statement.Start);
                findings.Add(new LintFinding(id, severity, message, index, statement.Start, line, column));
            }

            var first = words[0].Text;
            switch (first)
            {
                case "begin" or "start":
                    inTransaction = true;
                    lockTimeoutReported = false;
                    continue;
                case "commit" or "end" or "rollback" or "abort":
                    inTransaction = false;
                    continue;
                case "set" when words.Count > 1 && (Is(words, 1, "lock_timeout") || (Is(words, 1, "local") && Is(words, 2, "lock_timeout"))):
                    lockTimeoutSet = !IsZeroTimeout(script.Substring(statement.Start, statement.Length));
                    continue;
                case "select" when words.Any(w => w.Text == "set_config") && script.Substring(statement.Start, statement.Length).IndexOf("lock_timeout", StringComparison.OrdinalIgnoreCase) >= 0:
                    lockTimeoutSet = true;
                    continue;
            }

            var tables = statement.Tables;
            var target = tables.Count > 0 ? tables[0] : "?";
            var existing = tables.Count > 0 && !created.Contains(tables[0]);
            var concurrently = words.Any(w => w.Text == "concurrently");
            var needsLockTimeout = false;

            if (concurrently && inTransaction)
            {
                Report(RuleIdentifiers.ConcurrentlyInTransaction, LintSeverity.Error,
                    $"CONCURRENTLY cannot run inside a transaction block: run this statement outside BEGIN/COMMIT (EF Core: suppressTransaction: true).");
            }

            if (first == "create" && Has(words, "table") && !Has(words, "index"))
            {
                if (options.ClosedToNewTables)
                {
                    Report(RuleIdentifiers.CreateTableClosed, LintSeverity.Error, $"CREATE TABLE {target}: this database is closed to new tables.");
                }

                created.Add(target);
                continue;
            }

            if (first == "create" && Has(words, "index"))
            {
                var indexTable = tables.Count > 0 ? tables[tables.Count - 1] : "?";
                if (!concurrently && !created.Contains(indexTable))
                {
                    Report(RuleIdentifiers.CreateIndexNotConcurrently, LintSeverity.Error,
                        $"CREATE INDEX on existing table {indexTable} without CONCURRENTLY blocks writes for the whole build: use CREATE INDEX CONCURRENTLY (outside a transaction).");
                }

                continue;
            }

            if (first == "drop" && Is(words, 1, "index"))
            {
                if (!concurrently)
                {
                    Report(RuleIdentifiers.DropIndexNotConcurrently, LintSeverity.Error,
                        "DROP INDEX without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the table: use DROP INDEX CONCURRENTLY (outside a transaction).");
                }

                continue;
            }

            if (first == "drop" && Is(words, 1, "table"))
            {
                foreach (var t in tables.Where(t => !created.Contains(t)))
                {
                    Report(RuleIdentifiers.Drop, LintSeverity.Warning,
                        $"DROP TABLE {t} loses data and breaks the running version of the app: stop using it in one release, drop it in a later one.");
                }

                continue;
            }

            if (first == "alter" && Is(words, 1, "table"))
            {
                needsLockTimeout = existing;
                foreach (var action in Actions(words))
                {
                    LintAlterAction(action, target, existing, validated, Report);
                }
            }
            else if (first is "vacuum" && Has(words, "full"))
            {
                Report(RuleIdentifiers.UnsafeRawMigrationSql, LintSeverity.Error, "VACUUM FULL rewrites the table under ACCESS EXCLUSIVE: use pg_repack or plain VACUUM.");
            }
            else if (first == "cluster")
            {
                Report(RuleIdentifiers.UnsafeRawMigrationSql, LintSeverity.Error, "CLUSTER rewrites the table under ACCESS EXCLUSIVE: use pg_repack.");
            }
            else if (first == "lock")
            {
                Report(RuleIdentifiers.UnsafeRawMigrationSql, LintSeverity.Error, $"LOCK TABLE {target} in a migration queues every query behind it: remove it.");
            }
            else if (first == "truncate")
            {
                Report(RuleIdentifiers.UnsafeRawMigrationSql, LintSeverity.Error, $"TRUNCATE {target} takes ACCESS EXCLUSIVE and deletes every row.");
            }
            else if (first is "update" or "delete" && statement.Kind is SqlStatementKind.Update or SqlStatementKind.Delete && !Has(words, "where") && existing)
            {
                Report(RuleIdentifiers.UnsafeRawMigrationSql, LintSeverity.Error,
                    $"{first.ToUpperInvariant()} without WHERE on {target} touches every row in one transaction: backfill in batches outside the migration.");
            }
            else if (first == "reindex" && !concurrently)
            {
                Report(RuleIdentifiers.UnsafeRawMigrationSql, LintSeverity.Error, "REINDEX without CONCURRENTLY blocks writes: use REINDEX CONCURRENTLY.");
            }
            else if (first == "refresh" && !concurrently)
            {
                Report(RuleIdentifiers.UnsafeRawMigrationSql, LintSeverity.Warning, "REFRESH MATERIALIZED VIEW without CONCURRENTLY blocks reads of the view.");
            }

            if (needsLockTimeout && options.RequireLockTimeout && !lockTimeoutSet && !lockTimeoutReported)
            {
                lockTimeoutReported = true; // once per transaction block (or script)
                Report(RuleIdentifiers.DdlWithoutLockTimeout, LintSeverity.Warning,
                    $"ALTER TABLE {target} without a lock_timeout: if it waits for a lock, every query on {target} queues behind it. Put SET lock_timeout = '5s' before it (and retry on timeout).");
            }
        }

        state.InTransaction = inTransaction;
        state.LockTimeoutSet = lockTimeoutSet;
        state.LockTimeoutReported = lockTimeoutReported;
        return findings;
    }

    private static void LintAlterAction(List<Word> action, string table, bool existing, HashSet<string> validated, Action<string, LintSeverity, string> report)
    {
        if (action.Count == 0)
        {
            return;
        }

        var verb = action[0].Text;
        if (verb == "validate")
        {
            validated.Add(table);
            return;
        }

        if (verb == "rename")
        {
            report(RuleIdentifiers.Rename, LintSeverity.Warning,
                $"Renaming in {table} breaks the running version of the app: add the new name, copy, switch the code, then drop the old one.");
            return;
        }

        if (verb == "drop" && (Is(action, 1, "column") || (action.Count > 1 && action[1].Text != "constraint" && action[1].Text != "default" && action[1].Text != "not")))
        {
            report(RuleIdentifiers.Drop, LintSeverity.Warning,
                $"DROP COLUMN on {table} breaks the running version of the app (and loses data): stop using the column first, drop it in a later release.");
            return;
        }

        if (!existing)
        {
            return; // a table created earlier in the script is empty and unused
        }

        if (verb == "add" && !Has(action, "constraint") && !Has(action, "primary") && !Has(action, "foreign") && !(Has(action, "unique") && Has(action, "using")))
        {
            if (action.Any(w => SerialTypes.Contains(w.Text)) || (Has(action, "generated") && Has(action, "identity")))
            {
                report(RuleIdentifiers.AddIdentityColumn, LintSeverity.Error,
                    $"Adding an identity/serial column to {table} rewrites the table under ACCESS EXCLUSIVE: add a nullable column, backfill in batches, then add the default.");
            }
            else if (Has(action, "generated") && Has(action, "stored"))
            {
                report(RuleIdentifiers.AddColumnVolatileDefault, LintSeverity.Error,
                    $"Adding a stored generated column to {table} rewrites the table: compute it in the app or add it nullable and backfill.");
            }
            else if (DefaultFunction(action) is { } fn && VolatileDefaults.Contains(fn))
            {
                report(RuleIdentifiers.AddColumnVolatileDefault, LintSeverity.Error,
                    $"Adding a column with the volatile default {fn}() to {table} rewrites the table: add it without default, set the default, backfill in batches.");
            }

            if (Has(action, "not") && Has(action, "null") && !Has(action, "default"))
            {
                report(RuleIdentifiers.SetNotNull, LintSeverity.Error, $"Adding a NOT NULL column without a default to existing table {table} fails if it has rows.");
            }

            return;
        }

        if (verb == "alter" && Has(action, "type"))
        {
            report(RuleIdentifiers.AlterColumnTypeRewrite, LintSeverity.Warning,
                $"Changing a column type in {table} rewrites the table and its indexes under ACCESS EXCLUSIVE unless the change is binary-coercible (varchar length increase or removal, varchar -> text, numeric precision increase at the same scale, timestamp/time/interval precision increase, cidr -> inet).");
            return;
        }

        if (verb == "alter" && Has(action, "set") && Has(action, "not") && Has(action, "null") && !Has(action, "default"))
        {
            if (!validated.Contains(table))
            {
                report(RuleIdentifiers.SetNotNull, LintSeverity.Error,
                    $"SET NOT NULL on {table} scans the whole table under ACCESS EXCLUSIVE: add CHECK (col IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT, then SET NOT NULL.");
            }

            return;
        }

        if (verb == "add")
        {
            var notValid = Has(action, "not") && Has(action, "valid");
            if (Has(action, "foreign") && !notValid)
            {
                report(RuleIdentifiers.AddForeignKeyValidated, LintSeverity.Error,
                    $"Adding a foreign key to {table} validates every row while blocking writes on both tables: add it NOT VALID, then VALIDATE CONSTRAINT in a separate step.");
            }
            else if (Has(action, "check") && !notValid)
            {
                report(RuleIdentifiers.AddCheckConstraintValidated, LintSeverity.Error,
                    $"Adding a CHECK constraint to {table} scans the table under ACCESS EXCLUSIVE: add it NOT VALID, then VALIDATE CONSTRAINT.");
            }
            else if ((Has(action, "unique") || Has(action, "primary")) && !Has(action, "using"))
            {
                report(RuleIdentifiers.AddUniqueConstraint, LintSeverity.Error,
                    $"Adding a UNIQUE/PRIMARY KEY constraint to {table} builds its index under ACCESS EXCLUSIVE: CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT … USING INDEX.");
            }
        }
    }

    private static string? DefaultFunction(List<Word> action)
    {
        for (var i = 0; i < action.Count - 1; i++)
        {
            if (action[i].Text == "default")
            {
                // default [schema.]fn(
                for (var j = i + 1; j < action.Count && j <= i + 4; j++)
                {
                    if (action[j].IsCall)
                    {
                        return action[j].Text;
                    }
                }
            }
        }

        return null;
    }

    private readonly struct Word
    {
        public Word(string text, int depth, bool isCall, bool isComma)
        {
            Text = text;
            Depth = depth;
            IsCall = isCall;
            IsComma = isComma;
        }

        public string Text { get; }

        public int Depth { get; }

        public bool IsCall { get; }

        public bool IsComma { get; }
    }

    /// <summary>Lower-cased words of a statement with their paren depth; top-level commas kept as separators.</summary>
    private static List<Word> Words(string script, SqlStatement statement)
    {
        var words = new List<Word>();
        var lexer = new SqlLexer(script.Substring(statement.Start, statement.Length));
        var text = lexer.Text;
        var depth = 0;
        SqlToken? previous = null;
        while (lexer.NextSignificant(out var token))
        {
            switch (token.Kind)
            {
                case SqlTokenKind.OpenParen:
                    if (previous is { Kind: SqlTokenKind.Word } p && words.Count > 0)
                    {
                        var last = words[words.Count - 1];
                        words[words.Count - 1] = new Word(last.Text, last.Depth, isCall: true, isComma: false);
                    }

                    depth++;
                    break;
                case SqlTokenKind.CloseParen:
                    depth = Math.Max(0, depth - 1);
                    break;
                case SqlTokenKind.Comma when depth == 0:
                    words.Add(new Word(",", depth, false, true));
                    break;
                case SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier:
                    var value = token.Kind == SqlTokenKind.Word
                        ? text.Substring(token.Start, token.Length).ToLowerInvariant()
                        : text.Substring(token.Start, token.Length).Trim('"');
                    if (previous is { Kind: SqlTokenKind.Dot } && words.Count > 0 && !words[words.Count - 1].IsComma)
                    {
                        var qualifier = words[words.Count - 1];
                        words[words.Count - 1] = new Word(qualifier.Text + "." + value, qualifier.Depth, false, false);
                    }
                    else
                    {
                        words.Add(new Word(value, depth, false, false));
                    }

                    break;
            }

            previous = token;
        }

        return words;
    }

    /// <summary>ALTER TABLE actions: the words after the table name, split on top-level commas.</summary>
    private static IEnumerable<List<Word>> Actions(List<Word> words)
    {
        // alter table [if exists] [only] name action [, action]
        var i = 2;
        while (i < words.Count && words[i].Text is "if" or "exists" or "only")
        {
            i++;
        }

        i++; // the (possibly qualified, possibly quoted) table name
        var current = new List<Word>();
        for (; i < words.Count; i++)
        {
            if (words[i].IsComma)
            {
                yield return current;
                current = new List<Word>();
            }
            else
            {
                current.Add(words[i]);
            }
        }

        yield return current;
    }

    private static bool Is(List<Word> words, int index, string text) => index < words.Count && words[index].Text == text;

    private static bool Has(List<Word> words, string text) => words.Any(w => w.Text == text && w.Depth == 0);

    /// <summary><c>SET lock_timeout = 0</c> (or '0', 0ms…) turns the timeout off.</summary>
    private static bool IsZeroTimeout(string statement)
    {
        var eq = statement.IndexOfAny(new[] { '=', '\'' });
        var tail = statement.Substring(Math.Max(0, eq)).Replace("=", " ").Replace("'", " ").Trim().ToLowerInvariant();
        if (statement.IndexOf(" to ", StringComparison.OrdinalIgnoreCase) > 0 && eq < 0)
        {
            tail = statement.Substring(statement.IndexOf(" to ", StringComparison.OrdinalIgnoreCase) + 4).Replace("'", " ").Trim().ToLowerInvariant();
        }

        return tail is "0" or "0ms" or "0s" or "default";
    }

    private static List<int> LineStarts(string text)
    {
        var starts = new List<int> { 0 };
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\n')
            {
                starts.Add(i + 1);
            }
        }

        return starts;
    }

    private static (int Line, int Column) Position(List<int> lineStarts, int offset)
    {
        var line = lineStarts.BinarySearch(offset);
        if (line < 0)
        {
            line = ~line - 1;
        }

        return (line + 1, offset - lineStarts[line] + 1);
    }
}
