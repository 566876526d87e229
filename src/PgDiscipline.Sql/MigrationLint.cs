namespace PgDiscipline.Sql;

/// <summary>
/// Lints a migration script (for example the output of <c>dotnet ef migrations script</c>) statement by statement, aware
/// of <c>BEGIN</c>/<c>COMMIT</c> (or of a migration runner that wraps the file in one transaction:
/// <see cref="MigrationLintOptions.AssumeInTransaction"/>), of tables created earlier in the same script ("existing
/// table" = not created earlier, or created filled by <c>CREATE TABLE … AS</c>), of constraints added and validated
/// earlier, of functions declared IMMUTABLE/STABLE earlier, of <c>lock_timeout</c> settings and of the PostgreSQL version
/// (<see cref="MigrationLintOptions.PostgresVersion"/>). Shared by the CLI's <c>lint</c> command, the analyzer (raw
/// <c>Sql(…)</c> in migrations) and the runtime migration guard. Token-based; never throws.
/// </summary>
public static class MigrationLint
{
    /// <summary>The comment that allows rules for the next statement: <c>-- pgdiscipline-ignore PGD304, PGD315: reason</c>.</summary>
    public const string IgnoreDirective = "pgdiscipline-ignore";

    /// <summary>The comment that allows rules for the whole script: <c>-- pgdiscipline-ignore-file PGD315: reason</c>
    /// (without ids: every rule).</summary>
    public const string IgnoreFileDirective = "pgdiscipline-ignore-file";

    private static readonly HashSet<string> SerialTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        "serial", "serial4", "bigserial", "serial8", "smallserial", "serial2",
    };

    /// <summary>Every word a PostgreSQL statement can start with (the SQL commands of the PostgreSQL 15 manual).</summary>
    private static readonly HashSet<string> StatementKeywords = new(StringComparer.Ordinal)
    {
        "abort", "alter", "analyze", "analyse", "begin", "call", "checkpoint", "close", "cluster", "comment", "commit", "copy",
        "create", "deallocate", "declare", "delete", "discard", "do", "drop", "end", "execute", "explain", "fetch", "grant",
        "import", "insert", "listen", "load", "lock", "merge", "move", "notify", "prepare", "reassign", "refresh", "reindex",
        "release", "reset", "revoke", "rollback", "savepoint", "security", "select", "set", "show", "start", "table",
        "truncate", "unlisten", "update", "vacuum", "values", "with", "repack",
    };

    /// <summary>Call-like syntax that is not a function call (its arguments are what may be volatile).</summary>
    private static readonly HashSet<string> NotFunctions = new(StringComparer.Ordinal)
    {
        "cast", "coalesce", "nullif", "greatest", "least", "array", "row", "exists", "extract", "overlay", "position",
        "substring", "trim", "treat", "normalize", "grouping", "values", "any", "all", "some", "in", "not", "and", "or", "is",
        "xmlelement", "xmlforest", "xmlconcat", "xmlparse", "xmlpi", "xmlroot", "xmlserialize", "xmlexists", "xmlattributes",
        "json_object", "json_array", "json", "json_scalar", "json_serialize", "interval", "collate", "over", "filter", "within",
    };

    /// <summary>Comments by which a migration file tells its runner not to wrap it in a transaction: ours, and those of
    /// goose, dbmate, Flyway and squawk. Such a file is not assumed to run in one
    /// (<see cref="MigrationLintOptions.AssumeInTransaction"/>).</summary>
    public static readonly IReadOnlyList<string> NoTransactionDirectives =
    [
        "pgdiscipline-no-transaction", "+goose no transaction", "transaction:false", "executeintransaction=false", "squawk-disable-assume-in-transaction",
    ];

    /// <summary>Lints <paramref name="script"/> with fresh state (inside a transaction from the first statement when
    /// <see cref="MigrationLintOptions.AssumeInTransaction"/>, unless the script says its runner must not wrap it:
    /// <see cref="NoTransactionDirectives"/>).</summary>
    public static IReadOnlyList<LintFinding> Lint(string? script, MigrationLintOptions? options = null)
    {
        options ??= new MigrationLintOptions();
        return Lint(script, options, new MigrationLintState { InTransaction = options.AssumeInTransaction && !DeclaresNoTransaction(script) });
    }

    /// <summary>Whether a comment of <paramref name="script"/> carries one of the <see cref="NoTransactionDirectives"/>.</summary>
    public static bool DeclaresNoTransaction(string? script)
    {
        if (string.IsNullOrEmpty(script))
        {
            return false;
        }

        var lexer = new SqlLexer(script);
        while (lexer.Next(out var token))
        {
            if (token.Kind is SqlTokenKind.LineComment or SqlTokenKind.BlockComment)
            {
                var comment = script!.Substring(token.Start, token.Length).ToLowerInvariant().Replace(" = ", "=").Replace(": ", ":");
                if (NoTransactionDirectives.Any(d => comment.Contains(d)))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>Lints <paramref name="script"/>, continuing from (and updating) <paramref name="state"/>.</summary>
    public static IReadOnlyList<LintFinding> Lint(string? script, MigrationLintOptions? options, MigrationLintState state)
    {
        script ??= string.Empty;
        options ??= new MigrationLintOptions();
        state ??= new MigrationLintState();
        var run = new Run(script, options, state);
        run.Execute();
        return run.Findings;
    }

    private sealed class Run
    {
        private readonly string _script;
        private readonly MigrationLintOptions _options;
        private readonly MigrationLintState _state;
        private readonly List<int> _lineStarts;
        private readonly HashSet<string>? _fileIgnored;
        private readonly bool _ignoreWholeFile;
        private int _statementIndex;
        private int _statementStart;
        private string _text = "";
        private HashSet<string>? _ignored;

        public Run(string script, MigrationLintOptions options, MigrationLintState state)
        {
            _script = script;
            _options = options;
            _state = state;
            _lineStarts = LineStarts(script);
            (_fileIgnored, _ignoreWholeFile) = FileIgnores(script);
        }

        public List<LintFinding> Findings { get; } = new();

        private int Version => _options.PostgresVersion;

        public void Execute()
        {
            if (_ignoreWholeFile)
            {
                return;
            }

            var info = SqlCommandInfo.Analyze(_script);
            var unterminated = UnterminatedAtEnd(_script);
            var previousEnd = 0;
            for (var index = 0; index < info.Statements.Count; index++)
            {
                var statement = info.Statements[index];
                _ignored = IgnoredRules(_script, previousEnd, statement.Start);
                previousEnd = statement.Start + statement.Length;
                _statementIndex = index;
                _statementStart = statement.Start;
                _text = _script.Substring(statement.Start, statement.Length);
                if (IsPsqlMetaCommand(_text))
                {
                    continue;
                }

                var words = Words(_text);
                if (words.Count == 0)
                {
                    continue;
                }

                var holdsUnterminated = unterminated is { } u && u.Offset >= statement.Start && u.Offset <= statement.Start + statement.Length;
                if (!holdsUnterminated && SyntaxError(words) is { } syntax)
                {
                    Report(RuleIdentifiers.SqlSyntaxError, syntax.Message, syntax.Offset);
                    continue;
                }

                Statement(statement, words);
            }

            if (unterminated is { } open)
            {
                _statementIndex = Math.Max(0, info.Statements.Count - 1);
                _statementStart = open.Offset;
                _text = "";
                _ignored = null;
                Report(RuleIdentifiers.SqlSyntaxError, open.Message, 0);
            }
        }

        private void Report(string id, string message, int offsetInStatement = 0)
        {
            if ((_ignored is not null && _ignored.Contains(id)) || (_fileIgnored is not null && _fileIgnored.Contains(id)) || _options.IsExcluded(id))
            {
                return;
            }

            var offset = _statementStart + offsetInStatement;
            var (line, column) = Position(_lineStarts, offset);
            var severity = _options.SeverityOf(id);
            Findings.Add(new LintFinding(id, severity, message, _statementIndex, offset, line, column));
        }

        private void Statement(SqlStatement statement, List<Word> words)
        {
            var state = _state;
            if (!state.InTransaction)
            {
                state.NotValidInTransaction.Clear(); // whatever ran before committed (autocommit, or a statement run outside the migration's transaction)
            }

            var first = words[0].Text;
            switch (first)
            {
                case "begin" when !(words.Count > 1 && words[1].Text is "atomic"):
                case "start" when Is(words, 1, "transaction"):
                    state.InTransaction = true;
                    state.LockTimeoutReported = false;
                    return;
                case "commit" or "end" or "rollback" or "abort" when !(first == "rollback" && Is(words, 1, "to")):
                    state.InTransaction = false;
                    state.LockTimeoutReported = false;
                    state.NotValidInTransaction.Clear();
                    if (state.LockTimeoutLocal)
                    {
                        state.LockTimeoutSet = state.LockTimeoutSession;
                        state.LockTimeoutLocal = false;
                    }

                    return;
                case "set":
                    SetStatement(words);
                    return;
                case "reset" when Is(words, 1, "lock_timeout") || Is(words, 1, "all"):
                    state.LockTimeoutSet = state.LockTimeoutSession = false;
                    return;
                case "select" when words.Any(w => w.Text == "set_config") && _text.IndexOf("lock_timeout", StringComparison.OrdinalIgnoreCase) >= 0:
                    var local = _text.IndexOf("true", StringComparison.OrdinalIgnoreCase) > _text.IndexOf("lock_timeout", StringComparison.OrdinalIgnoreCase);
                    SetLockTimeout(on: true, local && state.InTransaction);
                    return;
            }

            var tables = statement.Tables;
            var target = tables.Count > 0 ? tables[0] : "?";
            var existing = tables.Count > 0 && IsExisting(tables[0]);
            var concurrently = Concurrently(words);
            string? lockNeeded = null; // what the statement locks, when the app would queue behind it

            if (concurrently && state.InTransaction && first is "create" or "drop" or "reindex" or "refresh" or "alter")
            {
                Report(RuleIdentifiers.ConcurrentlyInTransaction, "CONCURRENTLY cannot run inside a transaction block: run this statement outside BEGIN/COMMIT (EF Core: suppressTransaction: true; a migration runner that wraps each file in a transaction needs the statement in a file of its own, or its no-transaction setting).");
            }

            switch (first)
            {
                case "create":
                    lockNeeded = Create(words, tables, target, concurrently);
                    break;
                case "drop":
                    lockNeeded = Drop(words, tables, concurrently);
                    break;
                case "alter" when Is(words, 1, "table"):
                    lockNeeded = AlterTable(words, target, existing);
                    break;
                case "vacuum" when VacuumFull(words):
                    Report(RuleIdentifiers.UnsafeRawMigrationSql, "VACUUM FULL rewrites the table under ACCESS EXCLUSIVE (no read or write until it ends): use pg_repack (or REPACK … CONCURRENTLY on PostgreSQL 19+), or plain VACUUM.");
                    lockNeeded = "VACUUM FULL takes ACCESS EXCLUSIVE";
                    break;
                case "cluster":
                    Report(RuleIdentifiers.UnsafeRawMigrationSql, "CLUSTER rewrites the table under ACCESS EXCLUSIVE (no read or write until it ends): use pg_repack (or REPACK … CONCURRENTLY on PostgreSQL 19+).");
                    lockNeeded = "CLUSTER takes ACCESS EXCLUSIVE";
                    break;
                case "lock":
                    lockNeeded = LockTable(words, target);
                    break;
                case "truncate":
                    if (tables.Any(IsExisting))
                    {
                        Report(RuleIdentifiers.UnsafeRawMigrationSql, $"TRUNCATE {string.Join(", ", tables.Where(IsExisting))} takes ACCESS EXCLUSIVE and deletes every row{(Has(words, "cascade") ? " (CASCADE: of every table that references it too)" : "")}.");
                        lockNeeded = "TRUNCATE takes ACCESS EXCLUSIVE";
                    }

                    break;
                case "update" or "delete" when statement.Kind is SqlStatementKind.Update or SqlStatementKind.Delete && !Has(words, "where") && existing:
                    Report(RuleIdentifiers.UnsafeRawMigrationSql, $"{first.ToUpperInvariant()} without WHERE on {target} touches every row in one transaction: backfill in batches outside the migration (`pgdiscipline backfill run`, or BackfillRunner in the app).");
                    break;
                case "reindex":
                    lockNeeded = Reindex(words);
                    break;
                case "refresh" when !concurrently:
                    Report(RuleIdentifiers.UnsafeRawMigrationSql, "REFRESH MATERIALIZED VIEW without CONCURRENTLY takes ACCESS EXCLUSIVE on the view (no read of it until it ends): use REFRESH MATERIALIZED VIEW CONCURRENTLY (needs a unique index on the view).");
                    lockNeeded = "REFRESH MATERIALIZED VIEW takes ACCESS EXCLUSIVE on the view";
                    break;
                case "select" when Has(words, "into") && statement.IsSelectInto && tables.Count > 0:
                    state.Filled.Add(tables[tables.Count - 1]);
                    break;
            }

            if (lockNeeded is not null && _options.RequireLockTimeout && !state.LockTimeoutSet && !state.LockTimeoutReported)
            {
                state.LockTimeoutReported = true; // once per transaction block (or per script outside one)
                Report(RuleIdentifiers.DdlWithoutLockTimeout, $"{lockNeeded} without a lock_timeout: while it waits for its lock, every query that conflicts with it queues behind it. Put SET lock_timeout = '5s' before it (and retry on timeout).");
            }
        }

        private bool IsExisting(string table) => !_state.Created.Contains(table) || _state.Filled.Contains(table);

        private void SetStatement(List<Word> words)
        {
            // SET [SESSION | LOCAL] lock_timeout {= | TO} value
            var i = 1;
            var local = false;
            if (Is(words, i, "session"))
            {
                i++;
            }
            else if (Is(words, i, "local"))
            {
                local = true;
                i++;
            }

            if (Is(words, i, "lock_timeout"))
            {
                SetLockTimeout(!IsZeroTimeout(_text), local && _state.InTransaction);
            }
        }

        private void SetLockTimeout(bool on, bool local)
        {
            if (local)
            {
                _state.LockTimeoutLocal = true;
            }
            else
            {
                _state.LockTimeoutSession = on;
            }

            _state.LockTimeoutSet = on;
        }

        private string? Create(List<Word> words, IReadOnlyList<string> tables, string target, bool concurrently)
        {
            if (HasBefore(words, "table", "(") is { } tableAt && !Has(words, "index") && !Is(words, 1, "trigger"))
            {
                var name = tables.Count > 0 ? tables[0] : "?";
                if (_options.ClosedToNewTables && !Has(words, "temporary") && !Has(words, "temp"))
                {
                    Report(RuleIdentifiers.CreateTableClosed, $"CREATE TABLE {name}: this database is closed to new tables.");
                }

                var referenced = Referenced(words);
                LearnColumnTypes(name);
                _state.Created.Add(name);
                if (Has(words, "as") && !Has(words, "partition"))
                {
                    _state.Filled.Add(name); // CREATE TABLE … AS SELECT: it has rows from the start
                }
                else
                {
                    _state.Filled.Remove(name);
                }

                // A foreign key takes SHARE ROW EXCLUSIVE on the table it references: writes to that table wait behind it.
                var locked = referenced.Where(t => t != name && IsExisting(t)).ToList();
                return locked.Count > 0 ? $"CREATE TABLE {name} with a foreign key takes SHARE ROW EXCLUSIVE on {string.Join(", ", locked)} (blocks writes to it)" : null;
            }

            if (Has(words, "index"))
            {
                var on = words.FindIndex(w => w.Text == "on" && w.Depth == 0);
                var indexTable = on >= 0 && on + 1 < words.Count ? words[on + 1 + (Is(words, on + 1, "only") ? 1 : 0)].Text : tables.Count > 0 ? tables[tables.Count - 1] : "?";
                if (!concurrently && IsExisting(indexTable))
                {
                    Report(RuleIdentifiers.CreateIndexNotConcurrently, $"CREATE INDEX on existing table {indexTable} without CONCURRENTLY blocks writes for the whole build: use CREATE INDEX CONCURRENTLY (outside a transaction).");
                    return $"CREATE INDEX on {indexTable} takes SHARE (blocks writes)";
                }

                return null;
            }

            if (Is(words, 1, "function") || (Is(words, 1, "or") && Is(words, 2, "replace") && Is(words, 3, "function")))
            {
                var nameAt = words.FindIndex(w => w.Text == "function") + 1;
                if (nameAt < words.Count)
                {
                    var name = Bare(words[nameAt].Text);
                    if (Has(words, "immutable") || Has(words, "stable"))
                    {
                        _state.NonVolatileFunctions.Add(name);
                    }
                    else
                    {
                        _state.NonVolatileFunctions.Remove(name); // VOLATILE, said or not
                    }
                }

                return null;
            }

            if (Is(words, 1, "trigger") || (Is(words, 1, "or") && Is(words, 3, "trigger")) || (Is(words, 1, "constraint") && Is(words, 2, "trigger")))
            {
                var on = words.FindIndex(w => w.Text == "on" && w.Depth == 0);
                var table = on >= 0 && on + 1 < words.Count ? words[on + 1].Text : target;
                return IsExisting(table) ? $"CREATE TRIGGER on {table} takes SHARE ROW EXCLUSIVE (blocks writes)" : null;
            }

            return null;
        }

        /// <summary>Remembers the declared type of each column of <c>CREATE TABLE name (col type …, …)</c>, so a later
        /// <c>ALTER COLUMN … TYPE</c> to the same or a wider type is known to need no rewrite.</summary>
        private void LearnColumnTypes(string table)
        {
            var lexer = new SqlLexer(_text);
            var depth = 0;
            var itemStart = -1;
            while (lexer.NextSignificant(out var token))
            {
                if (token.Kind == SqlTokenKind.OpenParen)
                {
                    depth++;
                    if (depth == 1 && itemStart < 0)
                    {
                        itemStart = token.End;
                    }
                }
                else if (token.Kind == SqlTokenKind.CloseParen)
                {
                    depth--;
                    if (depth == 0 && itemStart >= 0)
                    {
                        LearnColumn(table, _text.Substring(itemStart, token.Start - itemStart));
                        return;
                    }
                }
                else if (token.Kind == SqlTokenKind.Comma && depth == 1 && itemStart >= 0)
                {
                    LearnColumn(table, _text.Substring(itemStart, token.Start - itemStart));
                    itemStart = token.End;
                }
            }
        }

        /// <summary>One column definition (<c>"name" type [constraints]</c>); table constraints are skipped.</summary>
        private void LearnColumn(string table, string definition)
        {
            var words = Words(definition);
            if (words.Count < 2 || words[0].Text is "constraint" or "primary" or "unique" or "check" or "foreign" or "exclude" or "like")
            {
                return;
            }

            var end = words.FindIndex(1, w => w.Depth == 0 && IsConstraintWord(w.Text) || w.Text is "default");
            var typeEnd = end < 0 ? definition.Length : words[end].Start;
            var type = definition.Substring(words[1].Start, typeEnd - words[1].Start).Trim();
            if (type.Length > 0)
            {
                _state.SetColumnType(table, words[0].Text, type);
            }
        }

        private string? Drop(List<Word> words, IReadOnlyList<string> tables, bool concurrently)
        {
            if (Is(words, 1, "index"))
            {
                if (!concurrently)
                {
                    Report(RuleIdentifiers.DropIndexNotConcurrently, "DROP INDEX without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the table: use DROP INDEX CONCURRENTLY (outside a transaction).");
                    return "DROP INDEX takes ACCESS EXCLUSIVE on its table";
                }

                return null;
            }

            if (Is(words, 1, "table"))
            {
                var existing = tables.Where(IsExisting).ToList();
                foreach (var t in existing)
                {
                    Report(RuleIdentifiers.Drop, $"DROP TABLE {t} loses data and breaks the running version of the app: stop using it in one release, drop it in a later one.");
                }

                return existing.Count > 0 ? $"DROP TABLE {string.Join(", ", existing)} takes ACCESS EXCLUSIVE" : null;
            }

            if (Is(words, 1, "trigger"))
            {
                var on = words.FindIndex(w => w.Text == "on" && w.Depth == 0);
                var table = on >= 0 && on + 1 < words.Count ? words[on + 1].Text : "?";
                return IsExisting(table) ? $"DROP TRIGGER on {table} takes ACCESS EXCLUSIVE" : null;
            }

            return null;
        }

        private string? LockTable(List<Word> words, string target)
        {
            // LOCK [TABLE] [ONLY] name [, …] [IN lockmode MODE] [NOWAIT]; the default mode is ACCESS EXCLUSIVE.
            var inAt = words.FindIndex(w => w.Text == "in" && w.Depth == 0);
            var mode = inAt >= 0 ? string.Join(" ", words.Skip(inAt + 1).TakeWhile(w => w.Text != "mode").Select(w => w.Text)).ToUpperInvariant() : "ACCESS EXCLUSIVE";
            var blocks = mode switch
            {
                "ACCESS EXCLUSIVE" or "EXCLUSIVE" => mode == "EXCLUSIVE" ? "every write and SELECT … FOR UPDATE/SHARE" : "every query, reads included",
                "SHARE" or "SHARE ROW EXCLUSIVE" => "every write",
                _ => null, // ACCESS SHARE, ROW SHARE, ROW EXCLUSIVE, SHARE UPDATE EXCLUSIVE: no read or write of the app waits on them
            };
            if (blocks is null)
            {
                return null;
            }

            Report(RuleIdentifiers.UnsafeRawMigrationSql, $"LOCK TABLE {target} IN {mode} MODE blocks {blocks} until the transaction ends: take no explicit lock in a migration (each statement takes the lock it needs).");
            return $"LOCK TABLE {target} IN {mode} MODE";
        }

        private string? Reindex(List<Word> words)
        {
            // REINDEX [(option [, …])] {INDEX | TABLE | SCHEMA | DATABASE | SYSTEM} [CONCURRENTLY] name
            var kind = words.Where(w => w.Depth == 0 && w.Text is "index" or "table" or "schema" or "database" or "system").Select(w => w.Text).FirstOrDefault();
            if (kind == "system")
            {
                return null; // system catalogs cannot be reindexed concurrently: there is no safer form to point to
            }

            if (Concurrently(words))
            {
                return null;
            }

            Report(RuleIdentifiers.UnsafeRawMigrationSql, $"REINDEX{(kind is null ? "" : " " + kind.ToUpperInvariant())} without CONCURRENTLY blocks writes to the table (and reads that would use the index) while it rebuilds: use REINDEX … CONCURRENTLY (PostgreSQL 12+, outside a transaction).");
            return "REINDEX takes SHARE on the table and ACCESS EXCLUSIVE on its indexes";
        }

        private string? AlterTable(List<Word> words, string table, bool existing)
        {
            var blocking = false;
            foreach (var (action, end) in Actions(words, _text.Length))
            {
                blocking |= AlterAction(action, end, table, existing);
            }

            if (existing && blocking)
            {
                return $"ALTER TABLE {table} takes ACCESS EXCLUSIVE (or SHARE ROW EXCLUSIVE)";
            }

            // A new table's foreign key still locks the existing table it references.
            var locked = Referenced(words).Where(t => t != table && IsExisting(t)).ToList();
            return locked.Count > 0
                ? $"ALTER TABLE {table} adding a foreign key takes SHARE ROW EXCLUSIVE on {string.Join(", ", locked)} (blocks writes to it)"
                : null;
        }

        /// <summary>Tables named after REFERENCES (foreign keys).</summary>
        private static List<string> Referenced(List<Word> words)
        {
            var tables = new List<string>();
            for (var i = 0; i + 1 < words.Count; i++)
            {
                if (words[i].Text == "references")
                {
                    tables.Add(words[i + 1].Text);
                }
            }

            return tables;
        }

        /// <summary>Judges one ALTER TABLE action; returns whether it takes a lock the application's reads or writes wait for.</summary>
        private bool AlterAction(List<Word> action, int actionEnd, string table, bool existing)
        {
            if (action.Count == 0)
            {
                return false;
            }

            var state = _state;
            var verb = action[0].Text;
            if (verb == "validate" && Is(action, 1, "constraint") && action.Count > 2)
            {
                var name = Bare(action[2].Text);
                if (state.NotValidInTransaction.TryGetValue(name, out var added) && state.InTransaction)
                {
                    Report(added.RuleId, $"VALIDATE CONSTRAINT {name} in the transaction that added it NOT VALID: the validation scan runs while the ADD's lock on {table} is still held (until COMMIT). Validate in a transaction of its own.");
                }

                if (state.NotNullChecks.TryGetValue(name, out var column) && column.Table == Bare(table))
                {
                    state.ValidatedNotNull.Add(column.Table + "\u0001" + column.Column);
                }
                else if (!state.NotNullChecks.ContainsKey(name))
                {
                    state.ExternallyValidated.Add(Bare(table)); // added NOT VALID in an earlier migration: we do not know its column
                }

                return false; // SHARE UPDATE EXCLUSIVE: reads and writes go on
            }

            if (verb == "rename")
            {
                if (Is(action, 1, "constraint"))
                {
                    return true; // the app does not name constraints; nothing breaks
                }

                var to = action.FindIndex(w => w.Text == "to" && w.Depth == 0);
                if (to > 1 && to + 1 < action.Count && state.ColumnType(table, action[to - 1].Text) is { } renamedType)
                {
                    state.SetColumnType(table, action[to + 1].Text, renamedType); // the type follows the column
                }

                if (existing)
                {
                    report(RuleIdentifiers.Rename, $"Renaming {(Is(action, 1, "to") ? "table" : "a column of")} {table} breaks the running version of the app: add the new name, copy, switch the code, then drop the old one.");
                }

                return true;
            }

            if (verb == "drop" && (Is(action, 1, "column") || (action.Count > 1 && action[1].Text is not ("constraint" or "default" or "not" or "identity" or "expression"))))
            {
                report(RuleIdentifiers.Drop, $"DROP COLUMN on {table} breaks the running version of the app (and loses data): stop using the column first, drop it in a later release.");
                return true;
            }

            if (verb == "detach" && Is(action, 1, "partition"))
            {
                if (!Has(action, "concurrently") && !Has(action, "finalize") && Version >= 14 && existing)
                {
                    report(RuleIdentifiers.DetachPartitionNotConcurrently, $"DETACH PARTITION on {table} without CONCURRENTLY takes ACCESS EXCLUSIVE on the partitioned table (every query on it waits): use DETACH PARTITION … CONCURRENTLY (PostgreSQL 14+, outside a transaction).");
                }

                return !Has(action, "concurrently");
            }

            if (verb is "set" or "reset" && action.Count > 1 && action[1].Text is "statistics" or "(")
            {
                return false;
            }

            if (verb == "add" && !IsConstraintAdd(action))
            {
                var nameAt = 1 + (Is(action, 1, "column") ? 1 : 0);
                while (nameAt < action.Count && action[nameAt].Text is "if" or "not" or "exists")
                {
                    nameAt++;
                }

                if (nameAt + 1 < action.Count)
                {
                    var end = action.FindIndex(nameAt + 1, w => w.Depth == 0 && (IsConstraintWord(w.Text) || w.Text is "default"));
                    var typeEnd = end < 0 ? actionEnd : action[end].Start;
                    _state.SetColumnType(table, action[nameAt].Text, _text.Substring(action[nameAt + 1].Start, typeEnd - action[nameAt + 1].Start).Trim());
                }
            }

            if (!existing)
            {
                if (verb == "add" && IsConstraintAdd(action) && Has(action, "not") && Has(action, "valid"))
                {
                    RememberNotValid(action, table);
                }

                if (verb == "alter" && Has(action, "type") && ColumnName(action) is { } newTableColumn)
                {
                    var typeAt = action.FindIndex(w => w.Text == "type" && w.Depth == 0);
                    var typeEnd = action.FindIndex(typeAt + 1, w => w.Depth == 0 && w.Text is "using" or "collate");
                    if (typeAt + 1 < action.Count)
                    {
                        _state.SetColumnType(table, newTableColumn, _text.Substring(action[typeAt + 1].Start, (typeEnd >= 0 ? action[typeEnd].Start : actionEnd) - action[typeAt + 1].Start).Trim());
                    }
                }

                return false; // a table created earlier in the script is empty and unused
            }

            if (verb == "add" && !IsConstraintAdd(action))
            {
                AddColumn(action, table);
                return true;
            }

            if (verb == "alter" && Has(action, "type"))
            {
                AlterColumnType(action, actionEnd, table);
                return true;
            }

            if (verb == "alter" && Has(action, "add") && Has(action, "generated") && Has(action, "identity"))
            {
                report(RuleIdentifiers.AddIdentityColumn, $"Turning column {ColumnName(action)} of {table} into an identity starts its sequence at 1 below the existing values (duplicate keys on the next inserts) and locks the table: add the identity with START WITH above max(id), or keep the existing default.");
                return true;
            }

            if (verb == "alter" && Has(action, "set") && Has(action, "not") && Has(action, "null") && !Has(action, "default"))
            {
                var column = ColumnName(action);
                var bare = Bare(table);
                var safe = Version >= 12 && column is not null
                    && (state.ValidatedNotNull.Contains(bare + "\u0001" + Bare(column)) || state.ExternallyValidated.Contains(bare));
                if (!safe)
                {
                    report(RuleIdentifiers.SetNotNull, Version >= 12
                        ? $"SET NOT NULL on {column ?? "a column"} of {table} scans the whole table under ACCESS EXCLUSIVE: add CHECK ({column ?? "col"} IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT (separately), then SET NOT NULL (PostgreSQL 12+ uses the validated check and skips the scan)."
                        : $"SET NOT NULL on {column ?? "a column"} of {table} scans the whole table under ACCESS EXCLUSIVE, and before PostgreSQL 12 a validated CHECK does not help: keep the column nullable with a validated CHECK (… IS NOT NULL) constraint instead.");
                }

                return true;
            }

            if (verb == "add")
            {
                AddConstraint(action, table);
                return true;
            }

            return true; // other actions (SET DEFAULT, DROP CONSTRAINT, SET LOGGED, …) take ACCESS EXCLUSIVE, briefly

            void report(string id, string message) => Report(id, message, action[0].Start);
        }

        /// <summary><c>ADD [CONSTRAINT name] {CHECK | UNIQUE | PRIMARY KEY | FOREIGN KEY | EXCLUDE} …</c>, as opposed to
        /// <c>ADD [COLUMN] name type …</c>.</summary>
        private static bool IsConstraintAdd(List<Word> action)
            => action.Count > 1 && action[1].Text is "constraint" or "check" or "unique" or "primary" or "foreign" or "exclude";

        private void RememberNotValid(List<Word> action, string table)
        {
            var name = Is(action, 1, "constraint") && action.Count > 2 ? Bare(action[2].Text) : null;
            if (name is null)
            {
                return;
            }

            var rule = Has(action, "foreign") ? RuleIdentifiers.AddForeignKeyValidated : RuleIdentifiers.AddCheckConstraintValidated;
            if (_state.InTransaction)
            {
                _state.NotValidInTransaction[name] = (Bare(table), rule);
            }

            // CHECK (col IS NOT NULL) NOT VALID: once validated, SET NOT NULL on col skips its scan (PostgreSQL 12+).
            var check = action.FindIndex(w => w.Text == "check");
            if (check >= 0 && check + 4 < action.Count && action[check + 2].Text == "is" && action[check + 3].Text == "not" && action[check + 4].Text == "null")
            {
                _state.NotNullChecks[name] = (Bare(table), Bare(action[check + 1].Text));
            }
        }

        private void AddConstraint(List<Word> action, string table)
        {
            var notValid = Has(action, "not") && Has(action, "valid");
            if (notValid)
            {
                RememberNotValid(action, table);
                return;
            }

            if (Has(action, "foreign"))
            {
                Report(RuleIdentifiers.AddForeignKeyValidated, $"Adding a foreign key to {table} validates every row while blocking writes on both tables: add it NOT VALID, then VALIDATE CONSTRAINT in a separate transaction.", action[0].Start);
            }
            else if (Has(action, "check"))
            {
                Report(RuleIdentifiers.AddCheckConstraintValidated, $"Adding a CHECK constraint to {table} scans the table under ACCESS EXCLUSIVE: add it NOT VALID, then VALIDATE CONSTRAINT in a separate transaction.", action[0].Start);
            }
            else if ((Has(action, "unique") || Has(action, "primary")) && !Has(action, "using"))
            {
                Report(RuleIdentifiers.AddUniqueConstraint, $"Adding a UNIQUE/PRIMARY KEY constraint to {table} builds its index under ACCESS EXCLUSIVE: CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT … USING INDEX.", action[0].Start);
            }
        }

        private void AddColumn(List<Word> action, string table)
        {
            var at = action[0].Start;
            var nameAt = 1 + (Is(action, 1, "column") ? 1 : 0);
            while (nameAt < action.Count && action[nameAt].Text is "if" or "not" or "exists")
            {
                nameAt++;
            }

            var column = nameAt < action.Count ? action[nameAt].Text : "?";
            var serial = action.Any(w => SerialTypes.Contains(w.Text));
            var identity = Has(action, "generated") && Has(action, "identity");
            var stored = Has(action, "generated") && Has(action, "stored");
            var defaultAt = action.FindIndex(w => w.Text == "default" && w.Depth == 0);
            var nullDefault = defaultAt >= 0 && defaultAt + 1 < action.Count && action[defaultAt + 1].Text == "null" && (defaultAt + 2 >= action.Count || action[defaultAt + 2].Depth > 0 || IsConstraintWord(action[defaultAt + 2].Text));
            var hasDefault = defaultAt >= 0 && !nullDefault;

            if (serial || identity)
            {
                Report(RuleIdentifiers.AddIdentityColumn, $"Adding an identity/serial column {column} to {table} rewrites the table under ACCESS EXCLUSIVE (every row gets a value): add a nullable column, backfill in batches, then add the default.", at);
            }
            else if (stored)
            {
                Report(RuleIdentifiers.AddColumnVolatileDefault, $"Adding the stored generated column {column} to {table} rewrites the table under ACCESS EXCLUSIVE: compute it in the app, or add it nullable, backfill in batches, then use a trigger.", at);
            }
            else if (hasDefault && VolatileDefault(action, defaultAt) is { } fn)
            {
                Report(RuleIdentifiers.AddColumnVolatileDefault, fn.Known
                    ? $"Adding column {column} to {table} with the volatile default {fn.Name}() rewrites the table under ACCESS EXCLUSIVE: add it without default, set the default, backfill in batches."
                    : $"Adding column {column} to {table} with a default calling {fn.Name}() rewrites the table under ACCESS EXCLUSIVE: a function not built in is VOLATILE unless declared IMMUTABLE or STABLE (declare it so earlier in the script if it is), or add the column without default, set the default, backfill in batches.", at);
            }
            else if (hasDefault && Version < 11)
            {
                Report(RuleIdentifiers.AddColumnVolatileDefault, $"Adding column {column} to {table} with a default rewrites the table under ACCESS EXCLUSIVE before PostgreSQL 11: add it without default, set the default, backfill in batches.", at);
            }

            if (Has(action, "not") && Has(action, "null") && !hasDefault && !stored && !serial && !identity)
            {
                Report(RuleIdentifiers.SetNotNull, $"Adding the NOT NULL column {column} without a default to existing table {table} fails as soon as the table has a row: give it a constant default, or add it nullable, backfill in batches, then set NOT NULL.", at);
            }

            if ((Has(action, "unique") || Has(action, "primary")) && !Has(action, "using"))
            {
                Report(RuleIdentifiers.AddUniqueConstraint, $"Adding column {column} to {table} with UNIQUE/PRIMARY KEY builds its index under ACCESS EXCLUSIVE: add the column, CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT … USING INDEX.", at);
            }

            if (Has(action, "references") && (hasDefault || serial || identity || stored))
            {
                Report(RuleIdentifiers.AddForeignKeyValidated, $"Adding column {column} to {table} with REFERENCES and a value in every row validates every row against the referenced table while both are locked: add the column, then the foreign key NOT VALID, then VALIDATE CONSTRAINT separately.", at);
            }
        }

        private static bool IsConstraintWord(string word) => word is "not" or "null" or "references" or "unique" or "primary" or "check" or "constraint" or "collate" or "generated";

        private void AlterColumnType(List<Word> action, int actionEnd, string table)
        {
            var column = ColumnName(action);
            var typeAt = action.FindIndex(w => w.Text == "type" && w.Depth == 0);
            var typeEnd = action.FindIndex(typeAt + 1, w => w.Depth == 0 && w.Text is "using" or "collate");
            var newType = typeAt + 1 < action.Count
                ? _text.Substring(action[typeAt + 1].Start, (typeEnd >= 0 ? action[typeEnd].Start : actionEnd) - action[typeAt + 1].Start).Trim()
                : null;
            var oldType = column is null ? null : _state.ColumnType(table, column);
            if (column is not null && newType is not null)
            {
                _state.SetColumnType(table, column, newType);
            }

            if (oldType is not null && newType is not null && typeEnd < 0 && PostgresFacts.IsBinaryCoercible(oldType, newType))
            {
                return; // no rewrite, no index rebuild
            }

            var note = oldType is not null && newType is not null ? PostgresFacts.TypeChangeNote(oldType, newType) : null;
            Report(RuleIdentifiers.AlterColumnTypeRewrite, oldType is not null && newType is not null
                ? $"Changing column {column} of {table} from {oldType} to {newType} rewrites the table and its indexes under ACCESS EXCLUSIVE{(note is null ? "" : " (" + note + ")")}: add a new column, backfill in batches, switch, drop the old one."
                : $"Changing a column type in {table} rewrites the table and its indexes under ACCESS EXCLUSIVE unless the change is binary-coercible (varchar length increase or removal, varchar -> text, numeric precision increase at the same scale, timestamp/time/interval precision increase, cidr -> inet; timestamp -> timestamptz only with TimeZone UTC).", action[0].Start);
        }

        /// <summary>The first call after DEFAULT to a function that is not IMMUTABLE or STABLE: a VOLATILE built-in, or a
        /// function not built in and not declared IMMUTABLE/STABLE earlier in the script (<c>DEFAULT now() - random() * …</c>
        /// finds <c>random</c>). Type names (<c>::character varying(20)</c>, <c>CAST(… AS numeric(10, 2))</c>) are not calls.</summary>
        private (string Name, bool Known)? VolatileDefault(List<Word> action, int defaultAt)
        {
            for (var j = defaultAt + 1; j < action.Count; j++)
            {
                var w = action[j];
                if (w.Depth == 0 && j > defaultAt + 1 && IsConstraintWord(w.Text) && w.Text is not ("not" or "null"))
                {
                    break; // the default expression ended
                }

                if (!w.IsCall || w.IsTypeName || NotFunctions.Contains(w.Text))
                {
                    continue;
                }

                var name = Bare(w.Text);
                if (PostgresNonVolatileFunctions.Names.Contains(name) || _state.NonVolatileFunctions.Contains(name))
                {
                    continue;
                }

                return (name, Known: PostgresFacts.IsVolatileFunction(name));
            }

            return null;
        }

        /// <summary>Conservative syntax checks (PostgreSQL's grammar is not reimplemented here): an unknown first word,
        /// unbalanced parentheses, ALTER TABLE without a table or an action, ADD COLUMN without a name and type.</summary>
        private (string Message, int Offset)? SyntaxError(List<Word> words)
        {
            var first = words[0];
            if (!first.IsParen && !StatementKeywords.Contains(first.Text))
            {
                return ($"Syntax error: a statement cannot start with '{Shorten(_text.Substring(first.Start, Math.Min(first.Length, 40)))}': PostgreSQL rejects it, and in a transaction every statement after it fails too.", first.Start);
            }

            var depth = 0;
            var lexer = new SqlLexer(_text);
            while (lexer.NextSignificant(out var token))
            {
                depth += token.Kind == SqlTokenKind.OpenParen ? 1 : token.Kind == SqlTokenKind.CloseParen ? -1 : 0;
                if (depth < 0)
                {
                    return ("Syntax error: a ')' without its '(': PostgreSQL rejects the statement.", token.Start);
                }
            }

            if (depth > 0)
            {
                return ("Syntax error: a '(' is never closed: PostgreSQL rejects the statement.", _text.TrimEnd().Length);
            }

            if (first.Text == "alter" && Is(words, 1, "table"))
            {
                var i = 2;
                while (i < words.Count && words[i].Text is "if" or "exists" or "only")
                {
                    i++;
                }

                if (i >= words.Count)
                {
                    return ("Syntax error: ALTER TABLE without a table name.", _text.TrimEnd().Length);
                }

                foreach (var (action, end) in Actions(words, _text.Length))
                {
                    if (action.Count == 0)
                    {
                        return ("Syntax error: ALTER TABLE without an action (or an empty one between commas).", Math.Min(end, _text.TrimEnd().Length));
                    }

                    if (action[0].Text == "add" && !IsConstraintAdd(action))
                    {
                        var nameAt = 1 + (Is(action, 1, "column") ? 1 : 0);
                        while (nameAt < action.Count && action[nameAt].Text is "if" or "not" or "exists")
                        {
                            nameAt++;
                        }

                        if (nameAt + 1 >= action.Count)
                        {
                            return ("Syntax error: ADD COLUMN needs a column name and a type.", Math.Min(end, _text.TrimEnd().Length));
                        }
                    }
                }
            }

            return null;
        }

        private static string Shorten(string s) => s.Replace('\n', ' ').Replace('\r', ' ');
    }

    /// <summary>The last token of the script, when it is a string, quoted identifier, dollar quote or block comment that is
    /// never closed (the lexer runs such a token to the end of the input).</summary>
    private static (string Message, int Offset)? UnterminatedAtEnd(string script)
    {
        var lexer = new SqlLexer(script);
        SqlToken? last = null;
        while (lexer.Next(out var token))
        {
            last = token;
        }

        if (last is not { } t || t.End != script.Length || t.Length == 0)
        {
            return null;
        }

        var text = script.Substring(t.Start, t.Length);
        var open = t.Kind switch
        {
            SqlTokenKind.String when text[0] == '$' => !ClosesDollar(text),
            SqlTokenKind.String => !ClosesQuote(text, text.IndexOf('\''), '\''),
            SqlTokenKind.QuotedIdentifier => !ClosesQuote(text, text.IndexOf('"'), '"'),
            SqlTokenKind.BlockComment => !text.EndsWith("*/", StringComparison.Ordinal) || text.Length < 4,
            _ => false,
        };
        return open ? ($"Syntax error: {(t.Kind == SqlTokenKind.BlockComment ? "a /* comment" : t.Kind == SqlTokenKind.QuotedIdentifier ? "a quoted identifier" : "a string")} is never closed: PostgreSQL rejects the script from here.", t.Start) : null;
    }

    private static bool ClosesDollar(string text)
    {
        var tagEnd = text.IndexOf('$', 1);
        if (tagEnd < 0)
        {
            return false;
        }

        var tag = text.Substring(0, tagEnd + 1);
        return text.Length >= 2 * tag.Length && text.EndsWith(tag, StringComparison.Ordinal);
    }

    private static bool ClosesQuote(string text, int open, char quote)
    {
        if (open < 0)
        {
            return true;
        }

        var escapes = open > 0 && (text[open - 1] is 'e' or 'E');
        var i = open + 1;
        while (i < text.Length)
        {
            if (escapes && text[i] == '\\')
            {
                i += 2;
                continue;
            }

            if (text[i] == quote)
            {
                if (i + 1 < text.Length && text[i + 1] == quote)
                {
                    i += 2;
                    continue;
                }

                return true;
            }

            i++;
        }

        return false;
    }

    /// <summary>A psql meta-command line (<c>\set</c>, <c>\connect</c>, <c>\i</c>): not SQL, not linted.</summary>
    private static bool IsPsqlMetaCommand(string statement) => statement.TrimStart().StartsWith("\\", StringComparison.Ordinal);

    private static string Bare(string name)
    {
        var dot = name.LastIndexOf('.');
        return dot >= 0 ? name.Substring(dot + 1) : name;
    }

    /// <summary>CONCURRENTLY as a keyword, or <c>(CONCURRENTLY [true|on|1])</c> as an option — not <c>(CONCURRENTLY false)</c>.</summary>
    private static bool Concurrently(List<Word> words)
    {
        for (var i = 0; i < words.Count; i++)
        {
            if (words[i].Text != "concurrently")
            {
                continue;
            }

            if (words[i].Depth > 0 && i + 1 < words.Count && words[i + 1].Depth == words[i].Depth && words[i + 1].Text is "false" or "off" or "0")
            {
                return false;
            }

            return true;
        }

        return false;
    }

    /// <summary><c>VACUUM FULL</c>, or <c>VACUUM (FULL [true|on])</c> — not <c>(FULL false)</c>.</summary>
    private static bool VacuumFull(List<Word> words)
    {
        for (var i = 1; i < words.Count; i++)
        {
            if (words[i].Text != "full")
            {
                continue;
            }

            return !(words[i].Depth > 0 && i + 1 < words.Count && words[i + 1].Depth == words[i].Depth && words[i + 1].Text is "false" or "off" or "0");
        }

        return false;
    }

    /// <summary>The column an <c>ALTER [COLUMN] name …</c> action names.</summary>
    private static string? ColumnName(List<Word> action)
    {
        var i = Is(action, 1, "column") ? 2 : 1;
        return i < action.Count ? action[i].Text : null;
    }

    private readonly struct Word
    {
        public Word(string text, int depth, bool isCall, bool isComma, int start, int length = 0, bool isTypeName = false, bool isParen = false)
        {
            Start = start;
            Length = length;
            Text = text;
            Depth = depth;
            IsCall = isCall;
            IsComma = isComma;
            IsTypeName = isTypeName;
            IsParen = isParen;
        }

        public string Text { get; }

        /// <summary>Offset in the statement's text.</summary>
        public int Start { get; }

        public int Length { get; }

        public int Depth { get; }

        public bool IsCall { get; }

        public bool IsComma { get; }

        /// <summary>Part of a type name after <c>::</c> or <c>AS</c> (<c>::character varying(20)</c>).</summary>
        public bool IsTypeName { get; }

        /// <summary>A statement starting with <c>(</c> (a parenthesized query).</summary>
        public bool IsParen { get; }
    }

    /// <summary>Lower-cased words of a statement with their paren depth; top-level commas kept as separators.</summary>
    private static List<Word> Words(string statementText)
    {
        var words = new List<Word>();
        var lexer = new SqlLexer(statementText);
        var text = lexer.Text;
        var depth = 0;
        SqlToken? previous = null;
        var typeContext = false;
        while (lexer.NextSignificant(out var token))
        {
            if (words.Count == 0 && previous is null && token.Kind == SqlTokenKind.OpenParen)
            {
                words.Add(new Word("(", 0, false, false, token.Start, 1, isParen: true));
            }

            switch (token.Kind)
            {
                case SqlTokenKind.OpenParen:
                    if (previous is { Kind: SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier } && words.Count > 0)
                    {
                        var last = words[words.Count - 1];
                        words[words.Count - 1] = new Word(last.Text, last.Depth, isCall: true, isComma: false, last.Start, last.Length, last.IsTypeName);
                    }

                    depth++;
                    break;
                case SqlTokenKind.CloseParen:
                    depth = Math.Max(0, depth - 1);
                    typeContext = false;
                    break;
                case SqlTokenKind.Comma when depth == 0:
                    words.Add(new Word(",", depth, false, true, token.Start, 1));
                    typeContext = false;
                    break;
                case SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier:
                    var value = token.Kind == SqlTokenKind.Word
                        ? text.Substring(token.Start, token.Length).ToLowerInvariant()
                        : text.Substring(token.Start, token.Length).Trim('"');
                    if (previous is { Kind: SqlTokenKind.Dot } && words.Count > 0 && !words[words.Count - 1].IsComma)
                    {
                        var qualifier = words[words.Count - 1];
                        words[words.Count - 1] = new Word(qualifier.Text + "." + value, qualifier.Depth, false, false, qualifier.Start, token.End - qualifier.Start, qualifier.IsTypeName);
                    }
                    else
                    {
                        var afterCast = previous is { Kind: SqlTokenKind.Cast }
                            || (typeContext && previous is { Kind: SqlTokenKind.Word })
                            || (words.Count > 0 && words[words.Count - 1].Text == "as" && depth > 0);
                        typeContext = afterCast;
                        words.Add(new Word(value, depth, false, false, token.Start, token.Length, afterCast));
                    }

                    break;
                default:
                    typeContext = false;
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

    /// <summary>Index of <paramref name="word"/> at depth 0 when it comes before the first <paramref name="stop"/> ("(" stops at the first call).</summary>
    private static int? HasBefore(List<Word> words, string word, string stop)
    {
        for (var i = 0; i < words.Count; i++)
        {
            if (words[i].Depth > 0 || words[i].IsCall || words[i].Text == stop)
            {
                return words[i].Text == word ? i : null;
            }

            if (words[i].Text == word)
            {
                return i;
            }
        }

        return null;
    }

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
        foreach (var (ids, _) in Directives(script.Substring(from, statementStart - from), IgnoreDirective))
        {
            foreach (var id in ids)
            {
                (ignored ??= new HashSet<string>(StringComparer.Ordinal)).Add(id);
            }
        }

        return ignored;
    }

    /// <summary><c>-- pgdiscipline-ignore-file [PGDnnn, …]: reason</c> anywhere in the script: those rules (no ids: all) for the whole script.</summary>
    private static (HashSet<string>? Ids, bool All) FileIgnores(string script)
    {
        if (script.IndexOf(IgnoreFileDirective, StringComparison.OrdinalIgnoreCase) < 0)
        {
            return (null, false);
        }

        HashSet<string>? ids = null;
        foreach (var (list, all) in Directives(script, IgnoreFileDirective))
        {
            if (all)
            {
                return (null, true);
            }

            foreach (var id in list)
            {
                (ids ??= new HashSet<string>(StringComparer.Ordinal)).Add(id);
            }
        }

        return (ids, false);
    }

    /// <summary>Comments in <paramref name="text"/> that start with <paramref name="directive"/> and carry a reason after
    /// a colon: their known rule ids (and whether they named none).</summary>
    private static IEnumerable<(List<string> Ids, bool All)> Directives(string text, string directive)
    {
        var lexer = new SqlLexer(text);
        while (lexer.Next(out var token))
        {
            if (token.Kind is not (SqlTokenKind.LineComment or SqlTokenKind.BlockComment))
            {
                continue;
            }

            var body = lexer.Text.Substring(token.Start, token.Length).TrimStart('-', '/', '*', ' ', '\t').TrimEnd('*', '/', ' ', '\t', '\r', '\n');
            if (!body.StartsWith(directive, StringComparison.OrdinalIgnoreCase) || body.Length == directive.Length
                || !(char.IsWhiteSpace(body[directive.Length]) || body[directive.Length] == ':'))
            {
                continue;
            }

            var colon = body.IndexOf(':');
            if (colon < 0 || string.IsNullOrWhiteSpace(body.Substring(colon + 1)))
            {
                continue; // no reason, no exemption
            }

            var ids = new List<string>();
            foreach (var id in body.Substring(directive.Length, colon - directive.Length).Split(new[] { ',', ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries))
            {
                if (RuleCatalog.Find(id.ToUpperInvariant()) is { } rule)
                {
                    ids.Add(rule.Id);
                }
            }

            yield return (ids, ids.Count == 0 && string.IsNullOrWhiteSpace(body.Substring(directive.Length, colon - directive.Length)));
        }
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
