namespace PgDiscipline.Sql;

/// <summary>Statement splitting and per-statement facts over the token stream.</summary>
internal static class SqlFacts
{
    private static readonly HashSet<string> SideEffectFunctions = new(StringComparer.OrdinalIgnoreCase)
    {
        "nextval", "setval", "currval", "lastval",
        "pg_advisory_lock", "pg_advisory_lock_shared", "pg_advisory_xact_lock", "pg_advisory_xact_lock_shared",
        "pg_try_advisory_lock", "pg_try_advisory_lock_shared", "pg_try_advisory_xact_lock", "pg_try_advisory_xact_lock_shared",
        "pg_advisory_unlock", "pg_advisory_unlock_shared", "pg_advisory_unlock_all",
        "pg_notify", "set_config", "txid_current", "pg_current_xact_id",
        "pg_current_wal_lsn", "pg_current_wal_insert_lsn", "pg_current_wal_flush_lsn", "pg_switch_wal", "pg_create_restore_point",
        "pg_terminate_backend", "pg_cancel_backend", "pg_reload_conf", "pg_rotate_logfile", "pg_promote",
        "lo_create", "lo_creat", "lo_import", "lo_unlink", "lo_from_bytea", "lo_put", "lo_truncate",
        "dblink_exec", "pg_stat_reset", "pg_stat_statements_reset", "pg_logical_emit_message",
        "pg_create_logical_replication_slot", "pg_create_physical_replication_slot", "pg_drop_replication_slot",
    };

    private static readonly HashSet<string> DdlWords = new(StringComparer.OrdinalIgnoreCase)
    {
        "create", "alter", "drop", "truncate", "comment", "grant", "revoke", "security",
    };

    private static readonly HashSet<string> UtilityWords = new(StringComparer.OrdinalIgnoreCase)
    {
        "begin", "start", "commit", "end", "rollback", "abort", "savepoint", "release", "set", "reset", "show", "vacuum",
        "analyze", "analyse", "lock", "copy", "explain", "listen", "notify", "unlisten", "discard", "prepare", "execute",
        "deallocate", "checkpoint", "cluster", "reindex", "refresh", "call", "do", "declare", "fetch", "move", "close",
        "load", "import",
    };

    private static readonly HashSet<string> FromTerminators = new(StringComparer.OrdinalIgnoreCase)
    {
        "where", "group", "having", "order", "limit", "offset", "window", "union", "intersect", "except", "returning",
        "for", "fetch", "into", "set", "on", "using", "when", "then", "select",
    };

    private static readonly HashSet<string> NotRelationWords = new(StringComparer.OrdinalIgnoreCase)
    {
        "only", "lateral", "if", "not", "exists", "select", "values", "with", "temporary", "temp", "unlogged", "table",
    };

    public static SqlCommandInfo Analyze(string text)
    {
        var tokens = new List<SqlToken>();
        var tags = new List<string>();
        var lexer = new SqlLexer(text);
        var leading = true;
        while (lexer.Next(out var t))
        {
            if (t.Kind == SqlTokenKind.LineComment)
            {
                if (leading)
                {
                    tags.Add(text.Substring(t.Start + 2, t.Length - 2).Trim());
                }

                continue;
            }

            if (t.IsTrivia)
            {
                continue;
            }

            leading = false;
            tokens.Add(t);
        }

        var statements = new List<SqlStatement>();
        var depth = 0;
        var atomic = 0;
        var first = 0;
        for (var i = 0; i <= tokens.Count; i++)
        {
            if (i < tokens.Count)
            {
                var t = tokens[i];
                switch (t.Kind)
                {
                    case SqlTokenKind.OpenParen or SqlTokenKind.OpenBracket:
                        depth++;
                        continue;
                    case SqlTokenKind.CloseParen or SqlTokenKind.CloseBracket:
                        depth = Math.Max(0, depth - 1);
                        continue;
                    case SqlTokenKind.Word:
                        if (Is(text, t, "atomic") && i > 0 && Is(text, tokens[i - 1], "begin"))
                        {
                            atomic++;
                        }
                        else if (atomic > 0 && Is(text, t, "case"))
                        {
                            atomic++;
                        }
                        else if (atomic > 0 && Is(text, t, "end"))
                        {
                            atomic--;
                        }

                        continue;
                    case SqlTokenKind.Semicolon when depth == 0 && atomic == 0:
                        break;
                    default:
                        continue;
                }
            }

            if (i > first)
            {
                statements.Add(AnalyzeStatement(text, tokens, first, i, single: first == 0 && i >= tokens.Count - 1));
            }

            first = i + 1;
        }

        var fingerprint = statements.Count == 1 ? statements[0].Fingerprint : SqlFingerprint.Compute(text);
        return new SqlCommandInfo(fingerprint, statements, tags);
    }

    private static SqlStatement AnalyzeStatement(string text, List<SqlToken> tokens, int from, int to, bool single)
    {
        var start = tokens[from].Start;
        var length = tokens[to - 1].End - start;
        var fingerprint = SqlFingerprint.Compute(single ? text : text.Substring(start, length));

        var i = from;
        while (i < to && tokens[i].Kind == SqlTokenKind.OpenParen)
        {
            i++;
        }

        var cteNames = new List<string>();
        if (i < to && Is(text, tokens[i], "with"))
        {
            i = SkipWith(text, tokens, i + 1, to, cteNames);
        }

        var kind = SqlStatementKind.Other;
        var mainIndex = i;
        if (i < to && tokens[i].Kind == SqlTokenKind.Word)
        {
            var word = text.Substring(tokens[i].Start, tokens[i].Length);
            kind = word.ToLowerInvariant() switch
            {
                "select" or "values" or "table" => SqlStatementKind.Select,
                "insert" => SqlStatementKind.Insert,
                "update" => SqlStatementKind.Update,
                "delete" => SqlStatementKind.Delete,
                "merge" => SqlStatementKind.Merge,
                _ when DdlWords.Contains(word) => SqlStatementKind.Ddl,
                _ when UtilityWords.Contains(word) => SqlStatementKind.Utility,
                _ => SqlStatementKind.Other,
            };
        }

        var joins = 0;
        var locking = false;
        var modifying = false;
        var selectInto = false;
        string? sideEffect = null;
        var tables = new List<string>();
        var fromDepths = new Stack<int>();
        var sawIndex = false;
        var depth = 0;

        for (var k = from; k < to; k++)
        {
            var t = tokens[k];
            switch (t.Kind)
            {
                case SqlTokenKind.OpenParen:
                    depth++;
                    if (k + 1 < to && (IsAny(text, tokens[k + 1], "insert", "update", "delete", "merge")))
                    {
                        modifying = true;
                    }

                    continue;
                case SqlTokenKind.CloseParen:
                    depth--;
                    while (fromDepths.Count > 0 && fromDepths.Peek() > depth)
                    {
                        fromDepths.Pop();
                    }

                    continue;
                case SqlTokenKind.Comma:
                    if (fromDepths.Count > 0 && fromDepths.Peek() == depth)
                    {
                        joins++;
                        ReadRelation(text, tokens, k + 1, to, tables, cteNames, allowColumnList: false);
                    }

                    continue;
                case SqlTokenKind.Word:
                    break;
                default:
                    continue;
            }

            var prev = k > from ? tokens[k - 1] : default;
            var prevIsWord = k > from && prev.Kind == SqlTokenKind.Word;

            if (fromDepths.Count > 0 && fromDepths.Peek() == depth && IsIn(text, t, FromTerminators) && !Is(text, t, "on"))
            {
                fromDepths.Pop();
            }

            if (Is(text, t, "from"))
            {
                if (!(prevIsWord && Is(text, prev, "distinct")))
                {
                    if (fromDepths.Count > 0 && fromDepths.Peek() == depth)
                    {
                        fromDepths.Pop();
                    }

                    fromDepths.Push(depth);
                    ReadRelation(text, tokens, k + 1, to, tables, cteNames, allowColumnList: false);
                }
            }
            else if (Is(text, t, "join"))
            {
                joins++;
                ReadRelation(text, tokens, k + 1, to, tables, cteNames, allowColumnList: false);
            }
            else if (Is(text, t, "for") && k + 1 < to)
            {
                var n = tokens[k + 1];
                if (IsAny(text, n, "update", "share")
                    || (Is(text, n, "no") && k + 2 < to && Is(text, tokens[k + 2], "key"))
                    || (Is(text, n, "key") && k + 2 < to && Is(text, tokens[k + 2], "share")))
                {
                    locking = true;
                }
            }
            else if (Is(text, t, "into"))
            {
                if (kind == SqlStatementKind.Select && depth == 0)
                {
                    selectInto = true;
                }

                ReadRelation(text, tokens, k + 1, to, tables, cteNames, allowColumnList: true);
            }
            else if (Is(text, t, "update"))
            {
                if (!(prevIsWord && IsAny(text, prev, "for", "do", "on", "key", "no", "then")))
                {
                    ReadRelation(text, tokens, k + 1, to, tables, cteNames, allowColumnList: false);
                }
            }
            else if (Is(text, t, "using") && kind is SqlStatementKind.Merge or SqlStatementKind.Delete && depth == 0)
            {
                ReadRelation(text, tokens, k + 1, to, tables, cteNames, allowColumnList: false);
            }
            else if (Is(text, t, "table") && !(prevIsWord && Is(text, prev, "returns")))
            {
                ReadRelations(text, tokens, k + 1, to, tables, cteNames);
            }
            else if (Is(text, t, "truncate") || (Is(text, t, "lock") && k == mainIndex))
            {
                ReadRelations(text, tokens, k + 1, to, tables, cteNames);
            }
            else if (Is(text, t, "index"))
            {
                sawIndex = true;
            }
            else if (Is(text, t, "on") && sawIndex && kind == SqlStatementKind.Ddl && depth == 0)
            {
                ReadRelation(text, tokens, k + 1, to, tables, cteNames, allowColumnList: true);
            }
            else if (Is(text, t, "references"))
            {
                ReadRelation(text, tokens, k + 1, to, tables, cteNames, allowColumnList: true);
            }

            if (sideEffect is null && k + 1 < to && tokens[k + 1].Kind == SqlTokenKind.OpenParen
                && SideEffectFunctions.Contains(text.Substring(t.Start, t.Length)))
            {
                sideEffect = text.Substring(t.Start, t.Length).ToLowerInvariant();
            }
        }

        return new SqlStatement(start, length, kind, joins, tables, locking, modifying, selectInto, sideEffect, fingerprint);
    }

    /// <summary>Skips <c>[RECURSIVE] name [(cols)] AS [NOT] [MATERIALIZED] (…) [, …]</c>; returns the index of the main keyword.</summary>
    private static int SkipWith(string text, List<SqlToken> tokens, int i, int to, List<string> cteNames)
    {
        if (i < to && Is(text, tokens[i], "recursive"))
        {
            i++;
        }

        while (i < to)
        {
            if (tokens[i].Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier)
            {
                cteNames.Add(Name(text, tokens[i]));
            }

            // Skip to the body's opening parenthesis after AS.
            while (i < to && !Is(text, tokens[i], "as"))
            {
                i = tokens[i].Kind == SqlTokenKind.OpenParen ? SkipParens(tokens, i, to) : i + 1;
            }

            while (i < to && tokens[i].Kind != SqlTokenKind.OpenParen)
            {
                i++;
            }

            i = SkipParens(tokens, i, to);
            // SEARCH / CYCLE clauses, then ',' for the next CTE or the main statement.
            while (i < to && tokens[i].Kind != SqlTokenKind.Comma
                && !IsAny(text, tokens[i], "select", "insert", "update", "delete", "merge", "values", "table"))
            {
                i = tokens[i].Kind == SqlTokenKind.OpenParen ? SkipParens(tokens, i, to) : i + 1;
            }

            if (i < to && tokens[i].Kind == SqlTokenKind.Comma)
            {
                i++;
                continue;
            }

            return i;
        }

        return i;
    }

    /// <summary>From an opening parenthesis, returns the index just past its matching close.</summary>
    private static int SkipParens(List<SqlToken> tokens, int i, int to)
    {
        var depth = 0;
        for (; i < to; i++)
        {
            if (tokens[i].Kind == SqlTokenKind.OpenParen)
            {
                depth++;
            }
            else if (tokens[i].Kind == SqlTokenKind.CloseParen && --depth <= 0)
            {
                return i + 1;
            }
        }

        return to;
    }

    private static void ReadRelations(string text, List<SqlToken> tokens, int i, int to, List<string> tables, List<string> ctes)
    {
        while (i < to)
        {
            i = ReadRelation(text, tokens, i, to, tables, ctes, allowColumnList: true);
            if (i < to && tokens[i].Kind == SqlTokenKind.Comma)
            {
                i++;
                continue;
            }

            return;
        }
    }

    /// <summary>Reads <c>[ONLY|LATERAL|IF [NOT] EXISTS] name[.name[.name]]</c>; adds it unless it is a function call, a
    /// subquery or a CTE name. Returns the index after the name.</summary>
    private static int ReadRelation(string text, List<SqlToken> tokens, int i, int to, List<string> tables, List<string> ctes, bool allowColumnList)
    {
        while (i < to && tokens[i].Kind == SqlTokenKind.Word && IsIn(text, tokens[i], NotRelationWords))
        {
            i++;
        }

        if (i >= to || tokens[i].Kind is not (SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier))
        {
            return i;
        }

        var name = Name(text, tokens[i]);
        i++;
        while (i + 1 < to && tokens[i].Kind == SqlTokenKind.Dot && tokens[i + 1].Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier)
        {
            name += "." + Name(text, tokens[i + 1]);
            i += 2;
        }

        var isCall = i < to && tokens[i].Kind == SqlTokenKind.OpenParen && !allowColumnList;
        if (!isCall && !ctes.Contains(name) && !tables.Contains(name))
        {
            tables.Add(name);
        }

        return i;
    }

    private static string Name(string text, SqlToken t)
    {
        if (t.Kind == SqlTokenKind.QuotedIdentifier && text[t.Start] == '"')
        {
            var inner = t.Length >= 2 && text[t.End - 1] == '"' ? text.Substring(t.Start + 1, t.Length - 2) : text.Substring(t.Start + 1);
            return inner.Replace("\"\"", "\"");
        }

        return text.Substring(t.Start, t.Length).ToLowerInvariant();
    }

    internal static bool Is(string text, SqlToken t, string word)
        => t.Kind == SqlTokenKind.Word && t.Length == word.Length && string.Compare(text, t.Start, word, 0, word.Length, StringComparison.OrdinalIgnoreCase) == 0;

    private static bool IsAny(string text, SqlToken t, params string[] words)
    {
        foreach (var w in words)
        {
            if (Is(text, t, w))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsIn(string text, SqlToken t, HashSet<string> words)
        => t.Kind == SqlTokenKind.Word && words.Contains(text.Substring(t.Start, t.Length));
}
