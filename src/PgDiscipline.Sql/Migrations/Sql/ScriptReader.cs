namespace PgDiscipline.Sql.Migrations;

/// <summary>
/// Reads a SQL migration script in one pass of the lexer: splits it into statements (on <c>;</c> outside brackets and
/// <c>BEGIN ATOMIC</c> bodies, as <see cref="SqlCommandInfo"/> does), reads each into schema operations, and feeds them to
/// the engine; findings become <see cref="LintFinding"/>s with line and column. Time is linear in the script's length,
/// and memory is one statement's tokens plus the schema history.
/// </summary>
internal sealed class ScriptReader
{
    private readonly string _script;
    private readonly MigrationLintOptions _options;
    private readonly List<LintFinding> _findings = new();
    private readonly List<SchemaOperation> _ops = new();
    private readonly StatementTokens _tokens = new();
    private readonly MigrationRuleEngine _engine;
    private readonly HashSet<string>? _fileIgnored;
    private HashSet<string>? _ignored;
    private List<int>? _lineStarts;

    public ScriptReader(string script, MigrationLintOptions options, MigrationLintState state)
        : this(script, options, new MigrationRuleEngine(options, state, (_, _, _) => { }))
    {
    }

    /// <summary>Reads <paramref name="script"/> into an engine that other operations go through too (the analyzer's raw
    /// <c>Sql(…)</c> between typed <c>MigrationBuilder</c> calls).</summary>
    public ScriptReader(string script, MigrationLintOptions options, MigrationRuleEngine engine)
    {
        _script = script;
        _options = options;
        _fileIgnored = Directives.FileIgnores(script, out var all);
        IgnoresEverything = all;
        _engine = engine;
    }

    /// <summary>Only record what the script changes (no rule runs): an earlier migration of the history.</summary>
    public bool RecordOnly { get; set; }

    public bool IgnoresEverything { get; }

    public List<LintFinding> Read()
    {
        if (IgnoresEverything)
        {
            return _findings;
        }

        var previousSink = _engine.Sink;
        _engine.Sink = Report;
        try
        {
            ReadStatements();
        }
        finally
        {
            _engine.Sink = previousSink;
        }

        return _findings;
    }

    private void ReadStatements()
    {
        var lexer = new SqlLexer(_script);
        var statement = 0;
        var depth = 0;
        var atomic = 0;
        SqlToken last = default;
        SqlToken previousWord = default;
        _tokens.Reset(_script, statement);
        while (lexer.Next(out var token))
        {
            last = token;
            if (token.IsTrivia)
            {
                if (_tokens.Count == 0 && token.Kind != SqlTokenKind.Whitespace)
                {
                    Directives.Parse(_script, token, Directives.Ignore, ref _ignored);
                }

                continue;
            }

            switch (token.Kind)
            {
                case SqlTokenKind.OpenParen or SqlTokenKind.OpenBracket:
                    depth++;
                    break;
                case SqlTokenKind.CloseParen or SqlTokenKind.CloseBracket:
                    depth = Math.Max(0, depth - 1);
                    break;
                case SqlTokenKind.Word:
                    if (IsWord(token, "atomic") && IsWord(previousWord, "begin"))
                    {
                        atomic++;
                    }
                    else if (atomic > 0 && IsWord(token, "case"))
                    {
                        atomic++;
                    }
                    else if (atomic > 0 && IsWord(token, "end"))
                    {
                        atomic--;
                    }

                    previousWord = token;
                    break;
                case SqlTokenKind.Semicolon when depth == 0 && atomic == 0:
                    if (_tokens.Count > 0)
                    {
                        Statement(holdsUnterminated: false);
                        _tokens.Reset(_script, ++statement);
                    }

                    _ignored = null;
                    continue;
            }

            _tokens.Add(token);
        }

        var unterminated = SyntaxCheck.UnterminatedAtEnd(_script, last);
        if (_tokens.Count > 0)
        {
            Statement(holdsUnterminated: unterminated is not null);
        }

        if (!RecordOnly)
        {
            _engine.EndOfScript();
        }

        if (unterminated is { } open && !RecordOnly)
        {
            _ignored = null;
            Add(RuleIdentifiers.SqlSyntaxError, open.Message, Math.Max(0, statement - (_tokens.Count > 0 ? 0 : 1)), open.Offset);
        }
    }

    private bool IsWord(SqlToken token, string word)
        => token.Kind == SqlTokenKind.Word && token.Length == word.Length
            && string.Compare(_script, token.Start, word, 0, word.Length, StringComparison.OrdinalIgnoreCase) == 0;

    private void Statement(bool holdsUnterminated)
    {
        if (_script[_tokens[0].Start] == '\\')
        {
            return; // a psql meta-command (\set, \connect, \i): not SQL
        }

        _ops.Clear();
        if (!holdsUnterminated && SyntaxCheck.Check(_tokens) is { } error)
        {
            _ops.Add(error);
        }
        else
        {
            StatementReader.Read(_tokens, _ops);
        }

        foreach (var op in _ops)
        {
            var placed = op with { Statement = _tokens.Index, Site = op.Site == 0 ? _tokens.Start : op.Site };
            if (RecordOnly)
            {
                MigrationRuleEngine.Record(_engine.State, placed);
            }
            else
            {
                _engine.Apply(placed);
            }
        }
    }

    private void Report(MigrationRule rule, SchemaOperation operation, string message)
    {
        if ((_ignored is not null && _ignored.Contains(rule.Id)) || (_fileIgnored is not null && _fileIgnored.Contains(rule.Id)))
        {
            return;
        }

        Add(rule.Id, message, operation.Statement, operation.Site);
    }

    private void Add(string id, string message, int statement, int offset)
    {
        if (_options.IsExcluded(id))
        {
            return;
        }

        var (line, column) = Position(offset);
        _findings.Add(new LintFinding(id, _options.SeverityOf(id), message, statement, offset, line, column));
    }

    private (int Line, int Column) Position(int offset)
    {
        if (_lineStarts is null)
        {
            _lineStarts = new List<int> { 0 };
            for (var i = 0; i < _script.Length; i++)
            {
                if (_script[i] == '\n')
                {
                    _lineStarts.Add(i + 1);
                }
            }
        }

        var line = _lineStarts.BinarySearch(offset);
        if (line < 0)
        {
            line = ~line - 1;
        }

        return (line + 1, offset - _lineStarts[line] + 1);
    }
}
