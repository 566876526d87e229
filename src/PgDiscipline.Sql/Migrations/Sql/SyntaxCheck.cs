namespace PgDiscipline.Sql.Migrations;

/// <summary>Conservative syntax checks (PostgreSQL's grammar is not reimplemented): an unknown first word, unbalanced
/// brackets, and a string, quoted identifier, dollar quote or comment never closed. The readers add what they can tell
/// about their own statements (ALTER TABLE without an action, ADD COLUMN without a type).</summary>
internal static class SyntaxCheck
{
    /// <summary>Every word a PostgreSQL statement can start with (the SQL commands of the PostgreSQL 15 manual).</summary>
    private static readonly HashSet<string> StatementKeywords = new(StringComparer.OrdinalIgnoreCase)
    {
        "abort", "alter", "analyze", "analyse", "begin", "call", "checkpoint", "close", "cluster", "comment", "commit", "copy",
        "create", "deallocate", "declare", "delete", "discard", "do", "drop", "end", "execute", "explain", "fetch", "grant",
        "import", "insert", "listen", "load", "lock", "merge", "move", "notify", "prepare", "reassign", "refresh", "reindex",
        "release", "reset", "revoke", "rollback", "savepoint", "security", "select", "set", "show", "start", "table",
        "truncate", "unlisten", "update", "vacuum", "values", "with", "repack",
    };

    public static Unparsable? Check(StatementTokens s)
    {
        var first = s[0];
        if (first.Kind != SqlTokenKind.OpenParen && !(first.Kind == SqlTokenKind.Word && StatementKeywords.Contains(s.Text.Substring(first.Start, first.Length))))
        {
            var shown = s.Text.Substring(first.Start, Math.Min(first.Length, 40)).Replace('\n', ' ').Replace('\r', ' ');
            return new Unparsable($"Syntax error: a statement cannot start with '{shown}': PostgreSQL rejects it, and in a transaction every statement after it fails too.") { Site = first.Start };
        }

        if (s.StrayClose >= 0)
        {
            return new Unparsable("Syntax error: a ')' without its '(': PostgreSQL rejects the statement.") { Site = s[s.StrayClose].Start };
        }

        if (s.OpenAtEnd)
        {
            return new Unparsable("Syntax error: a '(' is never closed: PostgreSQL rejects the statement.") { Site = s.End };
        }

        return null;
    }

    /// <summary>The last token of the script, when it is a string, quoted identifier, dollar quote or block comment never
    /// closed (the lexer runs such a token to the end of the input).</summary>
    public static (string Message, int Offset)? UnterminatedAtEnd(string script, SqlToken last)
    {
        if (last.End != script.Length || last.Length == 0)
        {
            return null;
        }

        var text = script.Substring(last.Start, last.Length);
        var open = last.Kind switch
        {
            SqlTokenKind.String when text[0] == '$' => !ClosesDollar(text),
            SqlTokenKind.String => !ClosesQuote(text, text.IndexOf('\''), '\''),
            SqlTokenKind.QuotedIdentifier => !ClosesQuote(text, text.IndexOf('"'), '"'),
            SqlTokenKind.BlockComment => !text.EndsWith("*/", StringComparison.Ordinal) || text.Length < 4,
            _ => false,
        };
        var what = last.Kind == SqlTokenKind.BlockComment ? "a /* comment" : last.Kind == SqlTokenKind.QuotedIdentifier ? "a quoted identifier" : "a string";
        return open ? ($"Syntax error: {what} is never closed: PostgreSQL rejects the script from here.", last.Start) : null;
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
}
