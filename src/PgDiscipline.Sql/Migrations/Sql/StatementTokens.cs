namespace PgDiscipline.Sql.Migrations;

/// <summary>
/// The significant tokens of one statement (from <see cref="SqlLexer"/>: comments and whitespace dropped), with the
/// bracket depth of each, and the helpers the readers use to match keywords and read names without copying the text.
/// One instance is reused for every statement of a script.
/// </summary>
internal sealed class StatementTokens
{
    private readonly List<SqlToken> _tokens = new();
    private readonly List<int> _depth = new();
    private int _open;

    public string Text { get; private set; } = string.Empty;

    /// <summary>Index of the statement in its script.</summary>
    public int Index { get; private set; }

    public int Count => _tokens.Count;

    public int Start => _tokens.Count > 0 ? _tokens[0].Start : 0;

    public int End => _tokens.Count > 0 ? _tokens[_tokens.Count - 1].End : 0;

    public SqlToken this[int i] => _tokens[i];

    /// <summary>Brackets of both kinds (<c>(</c> and <c>[</c>) still open before token <paramref name="i"/>; an opening
    /// bracket has the depth outside it, its contents one more.</summary>
    public int Depth(int i) => i < _depth.Count ? _depth[i] : 0;

    /// <summary>The first closing bracket with no opening one before it, or -1.</summary>
    public int StrayClose { get; private set; } = -1;

    public void Reset(string text, int index)
    {
        Text = text;
        Index = index;
        _tokens.Clear();
        _depth.Clear();
        _open = 0;
        StrayClose = -1;
    }

    public void Add(SqlToken token)
    {
        if (token.Kind is SqlTokenKind.CloseParen or SqlTokenKind.CloseBracket)
        {
            _open--;
            if (_open < 0 && StrayClose < 0)
            {
                StrayClose = _tokens.Count;
            }

            _open = Math.Max(0, _open);
        }

        _tokens.Add(token);
        _depth.Add(_open);
        if (token.Kind is SqlTokenKind.OpenParen or SqlTokenKind.OpenBracket)
        {
            _open++;
        }
    }

    /// <summary>Brackets left open at the end of the statement.</summary>
    public bool OpenAtEnd => _open > 0;

    public bool Is(int i, SqlTokenKind kind) => i >= 0 && i < _tokens.Count && _tokens[i].Kind == kind;

    /// <summary>Token <paramref name="i"/> is the unquoted word <paramref name="lower"/> (any case).</summary>
    public bool IsWord(int i, string lower)
    {
        if (i < 0 || i >= _tokens.Count)
        {
            return false;
        }

        var t = _tokens[i];
        return t.Kind == SqlTokenKind.Word && t.Length == lower.Length
            && string.Compare(Text, t.Start, lower, 0, lower.Length, StringComparison.OrdinalIgnoreCase) == 0;
    }

    public bool IsWord(int i, string a, string b) => IsWord(i, a) && IsWord(i + 1, b);

    /// <summary>The lower-cased word at <paramref name="i"/>, or null when it is not an unquoted word.</summary>
    public string? Word(int i) => Is(i, SqlTokenKind.Word) ? Text.Substring(_tokens[i].Start, _tokens[i].Length).ToLowerInvariant() : null;

    /// <summary>An identifier as PostgreSQL names it: an unquoted word lower-cased, a quoted one as written.</summary>
    public string? Identifier(int i)
    {
        if (Is(i, SqlTokenKind.Word))
        {
            return Word(i);
        }

        if (!Is(i, SqlTokenKind.QuotedIdentifier))
        {
            return null;
        }

        var t = _tokens[i];
        var raw = Text.Substring(t.Start, t.Length);
        var open = raw.IndexOf('"');
        var inner = raw.Length - open >= 2 && raw[raw.Length - 1] == '"' ? raw.Substring(open + 1, raw.Length - open - 2) : raw.Substring(open + 1);
        return inner.Replace("\"\"", "\"");
    }

    public bool IsIdentifier(int i) => Is(i, SqlTokenKind.Word) || Is(i, SqlTokenKind.QuotedIdentifier);

    /// <summary>Reads a possibly qualified name (<c>schema."Table"</c>) at <paramref name="i"/>; returns the index after it
    /// (or <paramref name="i"/> when there is no name).</summary>
    public int Name(int i, out string? name)
    {
        name = Identifier(i);
        if (name is null)
        {
            return i;
        }

        var next = i + 1;
        while (Is(next, SqlTokenKind.Dot) && Identifier(next + 1) is { } part)
        {
            name = name + "." + part;
            next += 2;
        }

        return next;
    }

    /// <summary>The first word <paramref name="lower"/> at <paramref name="depth"/> in [<paramref name="from"/>,
    /// <paramref name="to"/>), or -1.</summary>
    public int Find(string lower, int from, int to, int depth)
    {
        for (var i = from; i < to && i < _tokens.Count; i++)
        {
            if (_depth[i] == depth && IsWord(i, lower))
            {
                return i;
            }
        }

        return -1;
    }

    public bool Has(string lower, int from, int to, int depth) => Find(lower, from, to, depth) >= 0;

    /// <summary>The token after the bracket that closes the one opened at <paramref name="open"/>.</summary>
    public int After(int open)
    {
        var depth = _depth[open];
        for (var i = open + 1; i < _tokens.Count; i++)
        {
            if (_depth[i] == depth && _tokens[i].Kind is SqlTokenKind.CloseParen or SqlTokenKind.CloseBracket)
            {
                return i + 1;
            }
        }

        return _tokens.Count;
    }

    /// <summary>The text of tokens [<paramref name="from"/>, <paramref name="to"/>) as written (comments between them included).</summary>
    public string Slice(int from, int to)
    {
        if (from >= to || from >= _tokens.Count)
        {
            return string.Empty;
        }

        to = Math.Min(to, _tokens.Count);
        var start = _tokens[from].Start;
        return Text.Substring(start, _tokens[to - 1].End - start);
    }

    /// <summary>Skips the words given, in order, where present (<c>IF NOT EXISTS</c>, <c>ONLY</c> …).</summary>
    public int Skip(int i, string a, string b = "", string c = "")
    {
        if (IsWord(i, a) && (b.Length == 0 || IsWord(i + 1, b)) && (c.Length == 0 || IsWord(i + 2, c)))
        {
            return i + 1 + (b.Length == 0 ? 0 : 1) + (c.Length == 0 ? 0 : 1);
        }

        return i;
    }

    /// <summary>A list of names separated by commas at the statement's depth, from <paramref name="i"/>.</summary>
    public List<string> Names(ref int i)
    {
        var names = new List<string>();
        while (true)
        {
            var next = Name(i, out var name);
            if (name is null)
            {
                return names;
            }

            names.Add(name);
            i = next;
            if (Is(i, SqlTokenKind.Operator) && Text[_tokens[i].Start] == '*')
            {
                i++; // LOCK / TRUNCATE t * (descendants too)
            }

            if (!Is(i, SqlTokenKind.Comma))
            {
                return names;
            }

            i++;
        }
    }
}
