namespace PgDiscipline.Sql;

/// <summary>Token kinds of the PostgreSQL lexical grammar.</summary>
internal enum SqlTokenKind : byte
{
    /// <summary>Spaces, tabs, newlines, form feeds.</summary>
    Whitespace,

    /// <summary><c>-- …</c> to end of line.</summary>
    LineComment,

    /// <summary><c>/* … */</c>, nested.</summary>
    BlockComment,

    /// <summary>An unquoted word: keyword or identifier.</summary>
    Word,

    /// <summary><c>"…"</c> or <c>U&amp;"…"</c> (with <c>""</c> for a quote).</summary>
    QuotedIdentifier,

    /// <summary>Any string constant: <c>'…'</c>, <c>E'…'</c>, <c>N'…'</c>, <c>B'…'</c>, <c>X'…'</c>, <c>U&amp;'…'</c> (with an optional
    /// <c>UESCAPE</c>), <c>$tag$…$tag$</c>; adjacent <c>'…'</c> separated by a newline are one constant.</summary>
    String,

    /// <summary>A numeric constant: <c>42</c>, <c>1.5</c>, <c>.5</c>, <c>1e10</c>, <c>0x1F</c>, <c>0o17</c>, <c>0b101</c>, <c>1_000</c>.</summary>
    Number,

    /// <summary><c>$1</c>, <c>@name</c>, <c>:name</c>.</summary>
    Parameter,

    /// <summary>An operator by PostgreSQL's rules (<c>@&gt;</c>, <c>-&gt;&gt;</c>, <c>#&gt;&gt;</c>, <c>&lt;-&gt;</c>, <c>!=</c>, …).</summary>
    Operator,

    /// <summary><c>::</c>.</summary>
    Cast,

    /// <summary><c>(</c>.</summary>
    OpenParen,

    /// <summary><c>)</c>.</summary>
    CloseParen,

    /// <summary><c>[</c>.</summary>
    OpenBracket,

    /// <summary><c>]</c>.</summary>
    CloseBracket,

    /// <summary><c>,</c>.</summary>
    Comma,

    /// <summary><c>;</c>.</summary>
    Semicolon,

    /// <summary><c>.</c>.</summary>
    Dot,

    /// <summary><c>:</c> on its own (array slices).</summary>
    Colon,

    /// <summary>Any other character (including unpaired surrogates and control characters).</summary>
    Other,
}
