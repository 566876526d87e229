using System.Text;

namespace PgDiscipline.Sql;

/// <summary>
/// Lints a migration script (for example the output of <c>dotnet ef migrations script</c>) statement by statement, aware
/// of <c>BEGIN</c>/<c>COMMIT</c>, of tables created earlier in the same script ("existing table" = not created earlier),
/// and of <c>lock_timeout</c> settings. Shared by the CLI's <c>lint</c> command and (later) the analyzer PGD312 and the
/// runtime migration guard. Token-based; never throws.
/// </summary>
public static class MigrationLint
{
    /// <summary>The comment that allows rules for the next statement: <c>-- pgdiscipline-ignore PGD304, PGD315: reason</c>.</summary>
    public const string IgnoreDirective = "pgdiscipline-ignore";

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
        var previousEnd = 0;

        for (var index = 0; index < info.Statements.Count; index++)
        {
            var statement = info.Statements[index];
            var ignored = IgnoredRules(script, previousEnd, statement.Start);
            previousEnd = statement.Start + statement.Length;
            var statementText = script.Substring(statement.Start, statement.Length);
            var words = Words(statementText);
            if (words.Count == 0)
            {
                continue;
            }

            void Report(string id, string message)
            {
                if (ignored is not null && ignored.Contains(id))
                {
                    return;
                }

                var (line, column) = Position(lineStarts, statement.Start);
                var severity = RuleCatalog.SeverityOf(id) == RuleSeverity.Error ? LintSeverity.Error : LintSeverity.Warning;
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
                    lockTimeoutSet = !IsZeroTimeout(statementText);
                    continue;
                case "select" when words.Any(w => w.Text == "set_config") && statementText.IndexOf("lock_timeout", StringComparison.OrdinalIgnoreCase) >= 0:
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
                Report(RuleIdentifiers.ConcurrentlyInTransaction, $"CONCURRENTLY cannot run inside a transaction block: run this statement outside BEGIN/COMMIT (EF Core: suppressTransaction: true).");
            }

            if (first == "create" && Has(words, "table") && !Has(words, "index"))
            {
                if (options.ClosedToNewTables)
                {
                    Report(RuleIdentifiers.CreateTableClosed, $"CREATE TABLE {target}: this database is closed to new tables.");
                }

                created.Add(target);
                continue;
            }

            if (first == "create" && Has(words, "index"))
            {
                var indexTable = tables.Count > 0 ? tables[tables.Count - 1] : "?";
                if (!concurrently && !created.Contains(indexTable))
                {
                    Report(RuleIdentifiers.CreateIndexNotConcurrently, $"CREATE INDEX on existing table {indexTable} without CONCURRENTLY blocks writes for the whole build: use CREATE INDEX CONCURRENTLY (outside a transaction).");
                }

                continue;
            }

            if (first == "drop" && Is(words, 1, "index"))
            {
                if (!concurrently)
                {
                    Report(RuleIdentifiers.DropIndexNotConcurrently, "DROP INDEX without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the table: use DROP INDEX CONCURRENTLY (outside a transaction).");
                }

                continue;
            }

            if (first == "drop" && Is(words, 1, "table"))
            {
                foreach (var t in tables.Where(t => !created.Contains(t)))
                {
                    Report(RuleIdentifiers.Drop, $"DROP TABLE {t} loses data and breaks the running version of the app: stop using it in one release, drop it in a later one.");
                }

                continue;
            }

            if (first == "alter" && Is(words, 1, "table"))
            {
                needsLockTimeout = existing;
                foreach (var (action, end) in Actions(words, statement.Length))
                {
                    LintAlterAction(action, end, statementText, target, existing, validated, state, Report);
                }
            }
            else if (first is "vacuum" && Has(words, "full"))
            {
                Report(RuleIdentifiers.UnsafeRawMigrationSql, "VACUUM FULL rewrites the table under ACCESS EXCLUSIVE: use pg_repack or plain VACUUM.");
            }
            else if (first == "cluster")
            {
                Report(RuleIdentifiers.UnsafeRawMigrationSql, "CLUSTER rewrites the table under ACCESS EXCLUSIVE: use pg_repack.");
            }
            else if (first == "lock")
            {
                Report(RuleIdentifiers.UnsafeRawMigrationSql, $"LOCK TABLE {target} in a migration queues every query behind it: remove it.");
            }
            else if (first == "truncate")
            {
                Report(RuleIdentifiers.UnsafeRawMigrationSql, $"TRUNCATE {target} takes ACCESS EXCLUSIVE and deletes every row.");
            }
            else if (first is "update" or "delete" && statement.Kind is SqlStatementKind.Update or SqlStatementKind.Delete && !Has(words, "where") && existing)
            {
                Report(RuleIdentifiers.UnsafeRawMigrationSql, $"{first.ToUpperInvariant()} without WHERE on {target} touches every row in one transaction: backfill in batches outside the migration (`pgdiscipline backfill run`, or BackfillRunner in the app).");
            }
            else if (first == "reindex" && !concurrently)
            {
                Report(RuleIdentifiers.UnsafeRawMigrationSql, "REINDEX without CONCURRENTLY blocks writes: use REINDEX CONCURRENTLY.");
            }
            else if (first == "refresh" && !concurrently)
            {
                Report(RuleIdentifiers.UnsafeRawMigrationSql, "REFRESH MATERIALIZED VIEW without CONCURRENTLY blocks reads of the view.");
            }

            if (needsLockTimeout && options.RequireLockTimeout && !lockTimeoutSet && !lockTimeoutReported)
            {
                lockTimeoutReported = true; // once per transaction block (or script)
                Report(RuleIdentifiers.DdlWithoutLockTimeout, $"ALTER TABLE {target} without a lock_timeout: if it waits for a lock, every query on {target} queues behind it. Put SET lock_timeout = '5s' before it (and retry on timeout).");
            }
        }

        state.InTransaction = inTransaction;
        state.LockTimeoutSet = lockTimeoutSet;
        state.LockTimeoutReported = lockTimeoutReported;
        return findings;
    }

    private static void LintAlterAction(List<Word> action, int actionEnd, string statementText, string table, bool existing, HashSet<string> validated, MigrationLintState state, Action<string, string> report)
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
            report(RuleIdentifiers.Rename, $"Renaming in {table} breaks the running version of the app: add the new name, copy, switch the code, then drop the old one.");
            return;
        }

        if (verb == "drop" && (Is(action, 1, "column") || (action.Count > 1 && action[1].Text != "constraint" && action[1].Text != "default" && action[1].Text != "not")))
        {
            report(RuleIdentifiers.Drop, $"DROP COLUMN on {table} breaks the running version of the app (and loses data): stop using the column first, drop it in a later release.");
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
                report(RuleIdentifiers.AddIdentityColumn, $"Adding an identity/serial column to {table} rewrites the table under ACCESS EXCLUSIVE: add a nullable column, backfill in batches, then add the default.");
            }
            else if (Has(action, "generated") && Has(action, "stored"))
            {
                report(RuleIdentifiers.AddColumnVolatileDefault, $"Adding a stored generated column to {table} rewrites the table: compute it in the app or add it nullable and backfill.");
            }
            else if (VolatileDefault(action) is { } fn)
            {
                report(RuleIdentifiers.AddColumnVolatileDefault, $"Adding a column with the volatile default {fn}() to {table} rewrites the table: add it without default, set the default, backfill in batches.");
            }

            if (Has(action, "not") && Has(action, "null") && !Has(action, "default"))
            {
                report(RuleIdentifiers.SetNotNull, $"Adding a NOT NULL column without a default to existing table {table} fails if it has rows.");
            }

            return;
        }

        if (verb == "alter" && Has(action, "type"))
        {
            var column = ColumnName(action);
            var typeAt = action.FindIndex(w => w.Text == "type" && w.Depth == 0);
            var typeEnd = action.FindIndex(typeAt + 1, w => w.Depth == 0 && w.Text is "using" or "collate");
            var newType = typeAt + 1 < action.Count
                ? statementText.Substring(action[typeAt + 1].Start, (typeEnd >= 0 ? action[typeEnd].Start : actionEnd) - action[typeAt + 1].Start).Trim()
                : null;
            var oldType = column is null ? null : state.ColumnType(table, column);
            if (column is not null && newType is not null)
            {
                state.SetColumnType(table, column, newType);
            }

            if (oldType is not null && newType is not null && typeEnd < 0 && PostgresFacts.IsBinaryCoercible(oldType, newType))
            {
                return; // no rewrite, no index rebuild
            }

            var note = oldType is not null && newType is not null ? PostgresFacts.TypeChangeNote(oldType, newType) : null;
            report(RuleIdentifiers.AlterColumnTypeRewrite, oldType is not null && newType is not null
                ? $"Changing column {column} of {table} from {oldType} to {newType} rewrites the table and its indexes under ACCESS EXCLUSIVE{(note is null ? "" : " (" + note + ")")}: add a new column, backfill in batches, switch, drop the old one."
                : $"Changing a column type in {table} rewrites the table and its indexes under ACCESS EXCLUSIVE unless the change is binary-coercible (varchar length increase or removal, varchar -> text, numeric precision increase at the same scale, timestamp/time/interval precision increase, cidr -> inet; timestamp -> timestamptz only with TimeZone UTC).");
            return;
        }

        if (verb == "alter" && Has(action, "add") && Has(action, "generated") && Has(action, "identity"))
        {
            report(RuleIdentifiers.AddIdentityColumn, $"Turning column {ColumnName(action)} of {table} into an identity starts its sequence at 1 below the existing values (duplicate keys on the next inserts) and locks the table: add the identity with START WITH above max(id), or keep the existing default.");
            return;
        }

        if (verb == "alter" && Has(action, "set") && Has(action, "not") && Has(action, "null") && !Has(action, "default"))
        {
            if (!validated.Contains(table))
            {
                report(RuleIdentifiers.SetNotNull, $"SET NOT NULL on {table} scans the whole table under ACCESS EXCLUSIVE: add CHECK (col IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT, then SET NOT NULL.");
            }

            return;
        }

        if (verb == "add")
        {
            var notValid = Has(action, "not") && Has(action, "valid");
            if (Has(action, "foreign") && !notValid)
            {
                report(RuleIdentifiers.AddForeignKeyValidated, $"Adding a foreign key to {table} validates every row while blocking writes on both tables: add it NOT VALID, then VALIDATE CONSTRAINT in a separate step.");
            }
            else if (Has(action, "check") && !notValid)
            {
                report(RuleIdentifiers.AddCheckConstraintValidated, $"Adding a CHECK constraint to {table} scans the table under ACCESS EXCLUSIVE: add it NOT VALID, then VALIDATE CONSTRAINT.");
            }
            else if ((Has(action, "unique") || Has(action, "primary")) && !Has(action, "using"))
            {
                report(RuleIdentifiers.AddUniqueConstraint, $"Adding a UNIQUE/PRIMARY KEY constraint to {table} builds its index under ACCESS EXCLUSIVE: CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT … USING INDEX.");
            }
        }
    }

    /// <summary>The first built-in VOLATILE function called anywhere after DEFAULT (<c>DEFAULT now() - random() * …</c>).</summary>
    private static string? VolatileDefault(List<Word> action)
    {
        var i = action.FindIndex(w => w.Text == "default");
        for (var j = i < 0 ? action.Count : i + 1; j < action.Count; j++)
        {
            if (action[j].IsCall && PostgresFacts.IsVolatileFunction(action[j].Text))
            {
                return action[j].Text;
            }
        }

        return null;
    }

    /// <summary>The column an <c>ALTER [COLUMN] name …</c> action names.</summary>
    private static string? ColumnName(List<Word> action)
    {
        var i = Is(action, 1, "column") ? 2 : 1;
        return i < action.Count ? action[i].Text : null;
    }

    private readonly struct Word
    {
        public Word(string text, int depth, bool isCall, bool isComma, int start)
        {
            Start = start;
            Text = text;
            Depth = depth;
            IsCall = isCall;
            IsComma = isComma;
        }

        public string Text { get; }

        /// <summary>Offset in the statement's text.</summary>
        public int Start { get; }

        public int Depth { get; }

        public bool IsCall { get; }

        public bool IsComma { get; }
    }

    /// <summary>Lower-cased words of a statement with their paren depth; top-level commas kept as separators.</summary>
    private static List<Word> Words(string statementText)
    {
        var words = new List<Word>();
        var lexer = new SqlLexer(statementText);
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
                        words[words.Count - 1] = new Word(last.Text, last.Depth, isCall: true, isComma: false, last.Start);
                    }

                    depth++;
                    break;
                case SqlTokenKind.CloseParen:
                    depth = Math.Max(0, depth - 1);
                    break;
                case SqlTokenKind.Comma when depth == 0:
                    words.Add(new Word(",", depth, false, true, token.Start));
                    break;
                case SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier:
                    var value = token.Kind == SqlTokenKind.Word
                        ? text.Substring(token.Start, token.Length).ToLowerInvariant()
                        : text.Substring(token.Start, token.Length).Trim('"');
                    if (previous is { Kind: SqlTokenKind.Dot } && words.Count > 0 && !words[words.Count - 1].IsComma)
                    {
                        var qualifier = words[words.Count - 1];
                        words[words.Count - 1] = new Word(qualifier.Text + "." + value, qualifier.Depth, false, false, qualifier.Start);
                    }
                    else
                    {
                        words.Add(new Word(value, depth, false, false, token.Start));
                    }

                    break;
            }

            previous = token;
        }

        return words;
    }

    /// <summary>ALTER TABLE actions: the words after the table name, split on top-level commas, each with the offset where
    /// it ends (its comma, or the end of the statement).</summary>
    private static IEnumerable<(List<Word> Words, int End)> Actions(List<Word> words, int statementLength)
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
                yield return (current, words[i].Start);
                current = new List<Word>();
            }
            else
            {
                current.Add(words[i]);
            }
        }

        yield return (current, statementLength);
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

    /// <summary>
    /// Rules allowed for the statement that starts at <paramref name="statementStart"/> by comments between the previous
    /// statement and it: <c>-- pgdiscipline-ignore PGDnnn[, PGDmmm]: reason</c> (or the same in a block comment). Like
    /// <c>[AllowUnsafeMigration(id, Reason = …)]</c>, a directive without a reason allows nothing.
    /// </summary>
    private static HashSet<string>? IgnoredRules(string script, int from, int statementStart)
    {
        if (statementStart <= from || script.IndexOf(IgnoreDirective, from, statementStart - from, StringComparison.OrdinalIgnoreCase) < 0)
        {
            return null;
        }

        HashSet<string>? ignored = null;
        var lexer = new SqlLexer(script.Substring(from, statementStart - from));
        while (lexer.Next(out var token))
        {
            if (token.Kind is not (SqlTokenKind.LineComment or SqlTokenKind.BlockComment))
            {
                continue;
            }

            var body = lexer.Text.Substring(token.Start, token.Length).TrimStart('-', '/', '*', ' ', '\t').TrimEnd('*', '/', ' ', '\t', '\r', '\n');
            if (!body.StartsWith(IgnoreDirective, StringComparison.OrdinalIgnoreCase) || body.Length == IgnoreDirective.Length || !char.IsWhiteSpace(body[IgnoreDirective.Length]))
            {
                continue;
            }

            var colon = body.IndexOf(':');
            if (colon < 0 || string.IsNullOrWhiteSpace(body.Substring(colon + 1)))
            {
                continue; // no reason, no exemption
            }

            foreach (var id in body.Substring(IgnoreDirective.Length, colon - IgnoreDirective.Length).Split(new[] { ',', ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries))
            {
                if (RuleCatalog.Find(id.ToUpperInvariant()) is { } rule)
                {
                    (ignored ??= new HashSet<string>(StringComparer.Ordinal)).Add(rule.Id);
                }
            }
        }

        return ignored;
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
