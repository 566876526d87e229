using System.Globalization;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;

namespace PgDiscipline.Sql;

/// <summary>
/// The fingerprint of a query pattern: literals and parameters replaced, comments and layout dropped.
/// The same query written with literals, with EF Core's <c>@name</c> parameters, with <c>$n</c>, and as shown by
/// <c>pg_stat_statements</c> (PostgreSQL 15 and 18 forms) gets one fingerprint. Scheme: see docs/fingerprints.md.
/// </summary>
public readonly struct SqlFingerprint : IEquatable<SqlFingerprint>
{
    /// <summary>Version of the normalization + hash scheme. Fingerprints of different versions are not comparable.</summary>
    public const int SchemeVersion = 1;

    /// <summary>The placeholder every literal constant and parameter becomes.</summary>
    public const string Placeholder = "?";

    /// <summary>Creates a fingerprint from its parts (see <see cref="Compute"/>).</summary>
    public SqlFingerprint(ulong hash, string normalized)
    {
        Hash = hash;
        Normalized = normalized;
    }

    /// <summary>XxHash64 (seed 0) of the UTF-16LE code units of <see cref="Normalized"/>.</summary>
    public ulong Hash { get; }

    /// <summary>The normalized text: no comments, single spaces, keywords and unquoted identifiers lower-cased,
    /// literals and parameters as <c>?</c>, constant lists collapsed. Never contains a literal value.</summary>
    public string Normalized { get; }

    /// <summary>Computes the fingerprint of <paramref name="sql"/>. Never throws (null is treated as empty).</summary>
    public static SqlFingerprint Compute(string? sql) => FromNormalized(SqlNormalizer.Normalize(sql));

    /// <summary>The fingerprint of an already normalized text.</summary>
    public static SqlFingerprint FromNormalized(string normalized)
    {
        normalized ??= string.Empty;
        var hash = XxHash64.HashToUInt64(MemoryMarshal.AsBytes(normalized.AsSpan()));
        return new SqlFingerprint(hash, normalized);
    }

    /// <summary>Parses the 16-hex-digit form printed by <see cref="ToString"/> into a hash.</summary>
    public static bool TryParseHash(string? text, out ulong hash)
    {
        hash = 0;
        return text is { Length: 16 }
            && ulong.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out hash);
    }

    /// <summary>True for exactly 16 lowercase hex digits: the form <see cref="ToString"/> prints and rules are keyed by.</summary>
    public static bool IsCanonical(string? text)
    {
        if (text is not { Length: 16 })
        {
            return false;
        }

        foreach (var c in text)
        {
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The hash as 16 lowercase hex digits.</summary>
    public override string ToString() => FormatHash(Hash);

    /// <summary>Formats a hash as 16 lowercase hex digits.</summary>
    public static string FormatHash(ulong hash) => hash.ToString("x16", CultureInfo.InvariantCulture);

    /// <inheritdoc />
    public bool Equals(SqlFingerprint other) => Hash == other.Hash && string.Equals(Normalized, other.Normalized, StringComparison.Ordinal);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is SqlFingerprint other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => Hash.GetHashCode();

    /// <summary>Equality.</summary>
    public static bool operator ==(SqlFingerprint left, SqlFingerprint right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    public static bool operator !=(SqlFingerprint left, SqlFingerprint right) => !left.Equals(right);
}

/// <summary>Produces <see cref="SqlFingerprint.Normalized"/>.</summary>
internal static class SqlNormalizer
{
    private enum Out : byte
    {
        Placeholder,
        Word,
        Quoted,
        Operator,
        Cast,
        Open,
        Close,
        OpenBracket,
        CloseBracket,
        Comma,
        Semicolon,
        Dot,
        Colon,
        Other,
    }

    private enum Group : byte
    {
        Other,
        InList,
        Array,
        ValuesRow,
    }

    private struct OutToken
    {
        public int Start;
        public int Length;
        public Out Kind;
    }

    private struct OpenGroup
    {
        public int TokenIndex;
        public Group Kind;
    }

    /// <summary>Words that, unquoted, mean something other than a column of that name (so <c>"user"</c> keeps its quotes).</summary>
    private static readonly HashSet<string> ValueKeywords = new(StringComparer.Ordinal)
    {
        "user", "current_user", "session_user", "current_role", "current_catalog", "current_schema", "current_date",
        "current_time", "current_timestamp", "localtime", "localtimestamp", "system_user", "true", "false", "null",
        "default", "all", "any", "some", "array", "row",
    };

    /// <summary>Words after which a <c>-</c> or <c>+</c> is a sign, not a binary operator.</summary>
    private static readonly HashSet<string> SignContext = new(StringComparer.Ordinal)
    {
        "select", "where", "and", "or", "not", "when", "then", "else", "between", "like", "ilike", "limit", "offset",
        "return", "having", "case", "on", "distinct", "fetch", "first", "next", "is", "values", "set", "by", "in",
        "similar", "to", "escape", "all", "any", "some", "array", "returning",
    };

    [ThreadStatic]
    private static State? t_state;

    private sealed class State
    {
        public readonly StringBuilder Text = new(256);
        public readonly List<OutToken> Tokens = new(64);
        public readonly List<OpenGroup> Groups = new(8);
        public int LastValuesRowStart = -1;
        public int LastValuesRowEnd = -1;

        public void Reset()
        {
            Text.Clear();
            Tokens.Clear();
            Groups.Clear();
            LastValuesRowStart = -1;
            LastValuesRowEnd = -1;
        }
    }

    public static string Normalize(string? sql)
    {
        var state = t_state ??= new State();
        state.Reset();
        var lexer = new SqlLexer(sql);
        var text = lexer.Text;
        while (lexer.NextSignificant(out var token))
        {
            switch (token.Kind)
            {
                case SqlTokenKind.Word:
                    AppendWord(state, text, token);
                    break;
                case SqlTokenKind.QuotedIdentifier:
                    AppendQuoted(state, text, token);
                    break;
                case SqlTokenKind.String:
                case SqlTokenKind.Number:
                case SqlTokenKind.Parameter:
                    AppendConstant(state);
                    break;
                case SqlTokenKind.Operator:
                    if (token.Length == 2 && text[token.Start] == '!' && text[token.Start + 1] == '=')
                    {
                        Append(state, Out.Operator, "<>");
                    }
                    else
                    {
                        Append(state, Out.Operator, text, token.Start, token.Length);
                    }

                    break;
                case SqlTokenKind.Cast:
                    Append(state, Out.Cast, "::");
                    break;
                case SqlTokenKind.OpenParen:
                    OpenGroupAt(state, Out.Open, "(");
                    break;
                case SqlTokenKind.CloseParen:
                    CloseGroup(state, Out.Close, ")");
                    break;
                case SqlTokenKind.OpenBracket:
                    OpenGroupAt(state, Out.OpenBracket, "[");
                    break;
                case SqlTokenKind.CloseBracket:
                    CloseGroup(state, Out.CloseBracket, "]");
                    break;
                case SqlTokenKind.Comma:
                    Append(state, Out.Comma, ",");
                    break;
                case SqlTokenKind.Semicolon:
                    // A trailing ';' does not change the query; separators between statements do. Empty statements (a
                    // leading ';', ';;') are dropped, as SqlCommandInfo.Analyze drops them (found by fuzzing).
                    if (state.Tokens.Count > 0 && state.Tokens[state.Tokens.Count - 1].Kind != Out.Semicolon)
                    {
                        Append(state, Out.Semicolon, ";");
                    }

                    break;
                case SqlTokenKind.Dot:
                    Append(state, Out.Dot, ".");
                    break;
                case SqlTokenKind.Colon:
                    Append(state, Out.Colon, ":");
                    break;
                default:
                    Append(state, Out.Other, text, token.Start, token.Length);
                    break;
            }
        }

        // Drop trailing semicolons.
        while (state.Tokens.Count > 0 && state.Tokens[state.Tokens.Count - 1].Kind == Out.Semicolon)
        {
            Truncate(state, state.Tokens.Count - 1);
        }

        return state.Text.ToString();
    }

    private static void AppendWord(State state, string text, SqlToken token)
    {
        var sb = state.Text;
        var start = BeginToken(state, Out.Word);
        for (var i = token.Start; i < token.End; i++)
        {
            var c = text[i];
            sb.Append(c >= 'A' && c <= 'Z' ? (char)(c + 32) : c);
        }

        EndToken(state, start, Out.Word);

        // Boolean constants are constants (as in pg_stat_statements), except in IS [NOT] TRUE/FALSE tests.
        if (IsWord(state, state.Tokens.Count - 1, "true") || IsWord(state, state.Tokens.Count - 1, "false"))
        {
            var prev = state.Tokens.Count - 2;
            if (!(IsWord(state, prev, "is") || (IsWord(state, prev, "not") && IsWord(state, prev - 1, "is"))))
            {
                Truncate(state, state.Tokens.Count - 1);
                AppendConstant(state);
            }
        }
    }

    private static void AppendQuoted(State state, string text, SqlToken token)
    {
        // "users" and users name the same relation (PostgreSQL folds unquoted names to lower case): render a quoted
        // name that is a plain lower-case identifier without its quotes. Anything else is kept exactly.
        if (text[token.Start] == '"' && token.Length >= 3 && text[token.End - 1] == '"')
        {
            var plain = LexerIsPlainLowerIdentifier(text, token.Start + 1, token.Length - 2);
            if (plain && !ValueKeywords.Contains(text.Substring(token.Start + 1, token.Length - 2)))
            {
                Append(state, Out.Word, text, token.Start + 1, token.Length - 2);
                return;
            }
        }

        Append(state, Out.Quoted, text, token.Start, token.Length);
    }

    private static bool LexerIsPlainLowerIdentifier(string text, int start, int length)
    {
        var first = text[start];
        if (!((first >= 'a' && first <= 'z') || first == '_'))
        {
            return false;
        }

        for (var i = start + 1; i < start + length; i++)
        {
            var c = text[i];
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '$'))
            {
                return false;
            }
        }

        return true;
    }

    private static void AppendConstant(State state)
    {
        // Fold a sign into the constant: "x = -1" is the pattern of "x = 5".
        var n = state.Tokens.Count;
        if (n >= 1 && state.Tokens[n - 1].Kind == Out.Operator && IsSign(state, n - 1))
        {
            var before = n - 2;
            var isSign = before < 0
                || state.Tokens[before].Kind is Out.Operator or Out.Open or Out.OpenBracket or Out.Comma or Out.Cast or Out.Semicolon
                || (state.Tokens[before].Kind == Out.Word && SignContext.Contains(TokenText(state, before)));
            if (isSign)
            {
                Truncate(state, n - 1);
            }
        }

        Append(state, Out.Placeholder, SqlFingerprint.Placeholder);
    }

    private static bool IsSign(State state, int index)
    {
        var t = state.Tokens[index];
        if (t.Length != 1)
        {
            return false;
        }

        var c = state.Text[t.Start];
        return c == '-' || c == '+';
    }

    private static void OpenGroupAt(State state, Out kind, string text)
    {
        var n = state.Tokens.Count;
        var group = Group.Other;
        if (kind == Out.Open)
        {
            if (IsWord(state, n - 1, "in"))
            {
                group = Group.InList;
            }
            else if (IsWord(state, n - 1, "values") && !IsWord(state, n - 2, "default"))
            {
                group = Group.ValuesRow;
            }
            else if (n >= 1 && state.Tokens[n - 1].Kind == Out.Comma && state.LastValuesRowEnd == n - 1)
            {
                group = Group.ValuesRow;
            }
        }
        else if (IsWord(state, n - 1, "array") || (state.Groups.Count > 0 && state.Groups[state.Groups.Count - 1].Kind == Group.Array))
        {
            group = Group.Array;
        }

        Append(state, kind, text);
        state.Groups.Add(new OpenGroup { TokenIndex = state.Tokens.Count - 1, Kind = group });
    }

    private static void CloseGroup(State state, Out kind, string text)
    {
        if (state.Groups.Count == 0)
        {
            Append(state, kind, text);
            return;
        }

        var group = state.Groups[state.Groups.Count - 1];
        state.Groups.RemoveAt(state.Groups.Count - 1);
        if (group.Kind is Group.InList or Group.Array)
        {
            CollapseConstantList(state, group.TokenIndex + 1);
        }

        Append(state, kind, text);

        if (group.Kind == Group.ValuesRow)
        {
            var rowStart = group.TokenIndex;
            var rowEnd = state.Tokens.Count; // exclusive
            if (state.LastValuesRowEnd >= 0 && rowStart == state.LastValuesRowEnd + 1
                && SameTokens(state, state.LastValuesRowStart, state.LastValuesRowEnd, rowStart, rowEnd))
            {
                // Identical row: drop ", (row)".
                Truncate(state, state.LastValuesRowEnd);
            }
            else
            {
                state.LastValuesRowStart = rowStart;
                state.LastValuesRowEnd = rowEnd;
            }
        }
    }

    /// <summary>Collapses "?, ?, ?" (each element a placeholder, possibly cast) into "?" when all elements are identical.</summary>
    private static void CollapseConstantList(State state, int first)
    {
        var end = state.Tokens.Count;
        if (first >= end)
        {
            return;
        }

        // Element boundaries at the group's own level.
        var depth = 0;
        var firstElementEnd = -1;
        var elementStart = first;
        for (var i = first; i <= end; i++)
        {
            var atEnd = i == end;
            var kind = atEnd ? Out.Comma : state.Tokens[i].Kind;
            if (!atEnd && kind is Out.Open or Out.OpenBracket)
            {
                depth++;
            }
            else if (!atEnd && kind is Out.Close or Out.CloseBracket)
            {
                depth--;
            }
            else if (depth == 0 && kind == Out.Comma)
            {
                if (!IsConstantLike(state, elementStart, i))
                {
                    return;
                }

                if (firstElementEnd < 0)
                {
                    firstElementEnd = i;
                }
                else if (!SameTokens(state, first, firstElementEnd, elementStart, i))
                {
                    return;
                }

                elementStart = i + 1;
            }
        }

        if (firstElementEnd > 0 && firstElementEnd < end)
        {
            Truncate(state, firstElementEnd);
        }
    }

    private static bool IsConstantLike(State state, int start, int end)
    {
        if (end <= start)
        {
            return false;
        }

        var t = state.Tokens[start].Kind;
        if (t == Out.Placeholder)
        {
            return end == start + 1 || state.Tokens[start + 1].Kind == Out.Cast;
        }

        // A nested array literal that already collapsed: [ ? ] or ( ? ).
        return t is Out.OpenBracket && state.Tokens[end - 1].Kind == Out.CloseBracket;
    }

    private static bool SameTokens(State state, int aStart, int aEnd, int bStart, int bEnd)
    {
        if (aEnd - aStart != bEnd - bStart)
        {
            return false;
        }

        for (var k = 0; k < aEnd - aStart; k++)
        {
            var a = state.Tokens[aStart + k];
            var b = state.Tokens[bStart + k];
            if (a.Kind != b.Kind || a.Length != b.Length)
            {
                return false;
            }

            for (var c = 0; c < a.Length; c++)
            {
                if (state.Text[a.Start + c] != state.Text[b.Start + c])
                {
                    return false;
                }
            }
        }

        return true;
    }

    private static bool IsWord(State state, int index, string word)
    {
        if (index < 0 || index >= state.Tokens.Count)
        {
            return false;
        }

        var t = state.Tokens[index];
        if (t.Kind != Out.Word || t.Length != word.Length)
        {
            return false;
        }

        for (var i = 0; i < word.Length; i++)
        {
            if (state.Text[t.Start + i] != word[i])
            {
                return false;
            }
        }

        return true;
    }

    private static string TokenText(State state, int index)
    {
        var t = state.Tokens[index];
        return state.Text.ToString(t.Start, t.Length);
    }

    private static void Truncate(State state, int tokenCount)
    {
        if (tokenCount >= state.Tokens.Count)
        {
            return;
        }

        var t = state.Tokens[tokenCount];
        // Remove the separator before it too.
        var cut = t.Start;
        if (cut > 0 && state.Text[cut - 1] == ' ')
        {
            cut--;
        }

        state.Text.Length = cut;
        state.Tokens.RemoveRange(tokenCount, state.Tokens.Count - tokenCount);
        if (state.LastValuesRowEnd > tokenCount)
        {
            state.LastValuesRowStart = state.LastValuesRowEnd = -1;
        }
    }

    private static int BeginToken(State state, Out kind)
    {
        var n = state.Tokens.Count;
        if (n > 0)
        {
            var prev = state.Tokens[n - 1].Kind;
            var glue = prev is Out.Open or Out.OpenBracket or Out.Dot or Out.Cast
                || kind is Out.Close or Out.CloseBracket or Out.Comma or Out.Dot or Out.Cast or Out.Semicolon or Out.OpenBracket;
            if (!glue)
            {
                state.Text.Append(' ');
            }
        }

        return state.Text.Length;
    }

    private static void EndToken(State state, int start, Out kind)
        => state.Tokens.Add(new OutToken { Start = start, Length = state.Text.Length - start, Kind = kind });

    private static void Append(State state, Out kind, string value)
    {
        var start = BeginToken(state, kind);
        state.Text.Append(value);
        EndToken(state, start, kind);
    }

    private static void Append(State state, Out kind, string text, int start, int length)
    {
        var s = BeginToken(state, kind);
        state.Text.Append(text, start, length);
        EndToken(state, s, kind);
    }
}
