namespace PgDiscipline.Sql;

/// <summary>
/// PostgreSQL lexer (the token grammar of <c>src/backend/parser/scan.l</c>, PostgreSQL 16+ numeric forms included).
/// It never throws and always terminates: every call to <see cref="Next"/> consumes at least one character, and an
/// unterminated string, identifier, dollar quote or comment runs to the end of the input.
/// </summary>
internal struct SqlLexer
{
    private readonly string _text;
    private int _pos;

    /// <summary>Creates a lexer over <paramref name="text"/> (null is treated as empty).</summary>
    public SqlLexer(string? text)
    {
        _text = text ?? string.Empty;
        _pos = 0;
    }

    /// <summary>The text being lexed.</summary>
    public readonly string Text => _text;

    /// <summary>True when <paramref name="text"/> has the unquoted word <paramref name="word"/> (any case) outside comments,
    /// string constants and quoted identifiers, e.g. <c>CONCURRENTLY</c> in <c>CREATE INDEX CONCURRENTLY …</c> but not in
    /// <c>-- not concurrently</c>.</summary>
    public static bool ContainsWord(string? text, string word)
    {
        if (text is null || word is null)
        {
            return false;
        }

        var lexer = new SqlLexer(text);
        while (lexer.NextSignificant(out var token))
        {
            if (token.Kind == SqlTokenKind.Word && token.Length == word.Length
                && string.Compare(text, token.Start, word, 0, word.Length, StringComparison.OrdinalIgnoreCase) == 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Reads the next token, trivia included. Returns false at the end of the input.</summary>
    public bool Next(out SqlToken token)
    {
        var text = _text;
        var start = _pos;
        if (start >= text.Length)
        {
            token = default;
            return false;
        }

        var c = text[start];
        var kind = SqlTokenKind.Other;
        var end = start + 1;

        switch (c)
        {
            case ' ' or '\t' or '\n' or '\r' or '\f' or '\v':
                end = SkipWhitespace(text, start);
                kind = SqlTokenKind.Whitespace;
                break;
            case '-' when At(text, start + 1) == '-':
                end = SkipLineComment(text, start);
                kind = SqlTokenKind.LineComment;
                break;
            case '/' when At(text, start + 1) == '*':
                end = SkipBlockComment(text, start);
                kind = SqlTokenKind.BlockComment;
                break;
            case '\'':
                end = ScanQuoted(text, start + 1, backslashEscapes: false);
                kind = SqlTokenKind.String;
                break;
            case '"':
                end = ScanQuotedIdentifier(text, start + 1);
                kind = SqlTokenKind.QuotedIdentifier;
                break;
            case 'e' or 'E' when At(text, start + 1) == '\'':
                end = ScanQuoted(text, start + 2, backslashEscapes: true);
                kind = SqlTokenKind.String;
                break;
            case 'b' or 'B' or 'x' or 'X' or 'n' or 'N' when At(text, start + 1) == '\'':
                end = ScanQuoted(text, start + 2, backslashEscapes: false);
                kind = SqlTokenKind.String;
                break;
            case 'u' or 'U' when At(text, start + 1) == '&' && At(text, start + 2) == '\'':
                end = ScanUescape(text, ScanQuoted(text, start + 3, backslashEscapes: false));
                kind = SqlTokenKind.String;
                break;
            case 'u' or 'U' when At(text, start + 1) == '&' && At(text, start + 2) == '"':
                end = ScanUescape(text, ScanQuotedIdentifier(text, start + 3));
                kind = SqlTokenKind.QuotedIdentifier;
                break;
            case '$':
                (kind, end) = ScanDollar(text, start);
                break;
            case '(':
                kind = SqlTokenKind.OpenParen;
                break;
            case ')':
                kind = SqlTokenKind.CloseParen;
                break;
            case '[':
                kind = SqlTokenKind.OpenBracket;
                break;
            case ']':
                kind = SqlTokenKind.CloseBracket;
                break;
            case ',':
                kind = SqlTokenKind.Comma;
                break;
            case ';':
                kind = SqlTokenKind.Semicolon;
                break;
            case ':':
                (kind, end) = ScanColon(text, start);
                break;
            case '.' when IsDigit(At(text, start + 1)) && At(text, start - 1) != '.':
                end = ScanNumber(text, start);
                kind = SqlTokenKind.Number;
                break;
            case '.':
                kind = SqlTokenKind.Dot;
                break;
            case '@' when IsIdentStart(At(text, start + 1)):
                end = ScanIdentifierRest(text, start + 2);
                kind = SqlTokenKind.Parameter;
                break;
            default:
                if (IsDigit(c))
                {
                    end = ScanNumber(text, start);
                    kind = SqlTokenKind.Number;
                }
                else if (IsIdentStart(c))
                {
                    end = ScanIdentifierRest(text, start + 1);
                    kind = SqlTokenKind.Word;
                }
                else if (IsOpChar(c))
                {
                    end = ScanOperator(text, start);
                    kind = SqlTokenKind.Operator;
                }

                break;
        }

        _pos = end;
        token = new SqlToken(kind, start, end - start);
        return true;
    }

    /// <summary>Reads the next token that is not whitespace or a comment.</summary>
    public bool NextSignificant(out SqlToken token)
    {
        while (Next(out token))
        {
            if (!token.IsTrivia)
            {
                return true;
            }
        }

        return false;
    }

    internal static char At(string text, int index) => (uint)index < (uint)text.Length ? text[index] : '\0';

    internal static bool IsDigit(char c) => c >= '0' && c <= '9';

    /// <summary>PostgreSQL's ident_start: ASCII letters, underscore, and any non-ASCII character.</summary>
    internal static bool IsIdentStart(char c) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= '\u0080';

    /// <summary>PostgreSQL's ident_cont: ident_start, digits and <c>$</c>.</summary>
    internal static bool IsIdentCont(char c) => IsIdentStart(c) || IsDigit(c) || c == '$';

    /// <summary>PostgreSQL's op_chars.</summary>
    internal static bool IsOpChar(char c) => c switch
    {
        '~' or '!' or '@' or '#' or '^' or '&' or '|' or '`' or '?' or '+' or '-' or '*' or '/' or '%' or '<' or '>' or '=' => true,
        _ => false,
    };

    private static bool IsWhitespace(char c) => c is ' ' or '\t' or '\n' or '\r' or '\f' or '\v';

    private static int SkipWhitespace(string text, int i)
    {
        while (i < text.Length && IsWhitespace(text[i]))
        {
            i++;
        }

        return i;
    }

    private static int SkipLineComment(string text, int i)
    {
        while (i < text.Length && text[i] != '\n' && text[i] != '\r')
        {
            i++;
        }

        return i;
    }

    private static int SkipBlockComment(string text, int i)
    {
        var depth = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (c == '/' && At(text, i + 1) == '*')
            {
                depth++;
                i += 2;
            }
            else if (c == '*' && At(text, i + 1) == '/')
            {
                i += 2;
                if (--depth == 0)
                {
                    return i;
                }
            }
            else
            {
                i++;
            }
        }

        return text.Length;
    }

    /// <summary>Scans a single-quoted body starting after the opening quote; handles <c>''</c>, backslash escapes for
    /// E-strings, and continuation onto a following <c>'…'</c> separated by whitespace that contains a newline.</summary>
    private static int ScanQuoted(string text, int i, bool backslashEscapes)
    {
        while (true)
        {
            while (i < text.Length)
            {
                var c = text[i];
                if (c == '\\' && backslashEscapes)
                {
                    i += 2;
                    continue;
                }

                if (c == '\'')
                {
                    if (At(text, i + 1) == '\'')
                    {
                        i += 2;
                        continue;
                    }

                    break;
                }

                i++;
            }

            if (i >= text.Length)
            {
                return text.Length;
            }

            i++; // closing quote
            var next = ContinuationQuote(text, i);
            if (next < 0)
            {
                return i;
            }

            i = next + 1;
        }
    }

    /// <summary>If whitespace containing a newline (and possibly <c>--</c> comments) is followed by <c>'</c>, returns the
    /// index of that quote; else -1.</summary>
    private static int ContinuationQuote(string text, int i)
    {
        var sawNewline = false;
        while (i < text.Length)
        {
            var c = text[i];
            if (c == '\n' || c == '\r')
            {
                sawNewline = true;
                i++;
            }
            else if (IsWhitespace(c))
            {
                i++;
            }
            else if (c == '-' && At(text, i + 1) == '-' && sawNewline)
            {
                i = SkipLineComment(text, i);
            }
            else
            {
                return c == '\'' && sawNewline ? i : -1;
            }
        }

        return -1;
    }

    private static int ScanQuotedIdentifier(string text, int i)
    {
        while (i < text.Length)
        {
            if (text[i] == '"')
            {
                if (At(text, i + 1) == '"')
                {
                    i += 2;
                    continue;
                }

                return i + 1;
            }

            i++;
        }

        return text.Length;
    }

    /// <summary>After a <c>U&amp;</c> literal, consumes an optional <c>UESCAPE 'c'</c> clause.</summary>
    private static int ScanUescape(string text, int end)
    {
        var i = end;
        while (i < text.Length && IsWhitespace(text[i]))
        {
            i++;
        }

        if (i + 7 <= text.Length && string.Compare(text, i, "uescape", 0, 7, StringComparison.OrdinalIgnoreCase) == 0
            && !IsIdentCont(At(text, i + 7)))
        {
            var j = i + 7;
            while (j < text.Length && IsWhitespace(text[j]))
            {
                j++;
            }

            if (At(text, j) == '\'')
            {
                return ScanQuoted(text, j + 1, backslashEscapes: false);
            }
        }

        return end;
    }

    private static (SqlTokenKind Kind, int End) ScanDollar(string text, int start)
    {
        var i = start + 1;
        if (IsDigit(At(text, i)))
        {
            while (IsDigit(At(text, i)))
            {
                i++;
            }

            return (SqlTokenKind.Parameter, i);
        }

        // $tag$ or $$: tag = ident_start ident_cont* without '$'.
        if (IsIdentStart(At(text, i)))
        {
            i++;
            while (i < text.Length && (IsIdentStart(text[i]) || IsDigit(text[i])))
            {
                i++;
            }
        }

        if (At(text, i) != '$')
        {
            return (SqlTokenKind.Other, start + 1);
        }

        var delimiterLength = i - start + 1;
        var close = text.IndexOf(text.Substring(start, delimiterLength), i + 1, StringComparison.Ordinal);
        return (SqlTokenKind.String, close < 0 ? text.Length : close + delimiterLength);
    }

    private static (SqlTokenKind Kind, int End) ScanColon(string text, int start)
    {
        var next = At(text, start + 1);
        if (next == ':')
        {
            return (SqlTokenKind.Cast, start + 2);
        }

        if (next == '=')
        {
            return (SqlTokenKind.Operator, start + 2);
        }

        if (IsIdentStart(next))
        {
            return (SqlTokenKind.Parameter, ScanIdentifierRest(text, start + 2));
        }

        return (SqlTokenKind.Colon, start + 1);
    }

    private static int ScanIdentifierRest(string text, int i)
    {
        while (i < text.Length && IsIdentCont(text[i]))
        {
            i++;
        }

        return i;
    }

    private static int ScanDigits(string text, int i, Func<char, bool> isDigit)
    {
        // digit(_?digit)*
        while (i < text.Length)
        {
            if (isDigit(text[i]))
            {
                i++;
            }
            else if (text[i] == '_' && isDigit(At(text, i + 1)) && i > 0 && isDigit(text[i - 1]))
            {
                i += 2;
            }
            else
            {
                break;
            }
        }

        return i;
    }

    private static readonly Func<char, bool> DecDigit = IsDigit;
    private static readonly Func<char, bool> HexDigit = c => IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    private static readonly Func<char, bool> OctDigit = c => c >= '0' && c <= '7';
    private static readonly Func<char, bool> BinDigit = c => c == '0' || c == '1';

    private static int ScanNumber(string text, int start)
    {
        var c0 = text[start];
        if (c0 == '0')
        {
            var p = At(text, start + 1);
            Func<char, bool>? radix = p switch
            {
                'x' or 'X' => HexDigit,
                'o' or 'O' => OctDigit,
                'b' or 'B' => BinDigit,
                _ => null,
            };
            if (radix is not null)
            {
                var j = start + 2;
                if (At(text, j) == '_')
                {
                    j++;
                }

                if (radix(At(text, j)))
                {
                    return ScanDigits(text, j, radix);
                }
            }
        }

        var i = start;
        if (c0 != '.')
        {
            i = ScanDigits(text, i, DecDigit);
        }

        // Fraction: '.' not followed by another '.' (so 1..2 stays 1 .. 2).
        if (At(text, i) == '.' && At(text, i + 1) != '.')
        {
            i++;
            if (IsDigit(At(text, i)))
            {
                i = ScanDigits(text, i, DecDigit);
            }
        }

        // Exponent.
        var e = At(text, i);
        if (e == 'e' || e == 'E')
        {
            var j = i + 1;
            if (At(text, j) == '+' || At(text, j) == '-')
            {
                j++;
            }

            if (IsDigit(At(text, j)))
            {
                i = ScanDigits(text, j, DecDigit);
            }
        }

        return i;
    }

    /// <summary>PostgreSQL's operator rule: the longest run of op_chars, cut before <c>--</c> or <c>/*</c>; a multi-character
    /// operator may end in <c>+</c> or <c>-</c> only if it contains one of <c>~ ! @ # ^ &amp; | ` ?</c>.</summary>
    private static int ScanOperator(string text, int start)
    {
        var i = start;
        while (i < text.Length && IsOpChar(text[i]))
        {
            if (i > start && ((text[i] == '-' && At(text, i + 1) == '-') || (text[i] == '/' && At(text, i + 1) == '*')))
            {
                break;
            }

            i++;
        }

        var length = i - start;
        if (length > 1)
        {
            var hasSpecial = false;
            for (var k = start; k < i; k++)
            {
                if (text[k] is '~' or '!' or '@' or '#' or '^' or '&' or '|' or '`' or '?')
                {
                    hasSpecial = true;
                    break;
                }
            }

            if (!hasSpecial)
            {
                while (length > 1 && (text[start + length - 1] == '+' || text[start + length - 1] == '-'))
                {
                    length--;
                }
            }
        }

        return start + length;
    }
}
