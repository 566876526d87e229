namespace PgDiscipline.Sql;

/// <summary>A token: kind and position in the source text.</summary>
internal readonly struct SqlToken
{
    /// <summary>Creates a token.</summary>
    public SqlToken(SqlTokenKind kind, int start, int length)
    {
        Kind = kind;
        Start = start;
        Length = length;
    }

    /// <summary>The kind.</summary>
    public SqlTokenKind Kind { get; }

    /// <summary>Offset of the first character.</summary>
    public int Start { get; }

    /// <summary>Number of characters.</summary>
    public int Length { get; }

    /// <summary>Offset just past the last character.</summary>
    public int End => Start + Length;

    /// <summary>True for whitespace and comments.</summary>
    public bool IsTrivia => Kind is SqlTokenKind.Whitespace or SqlTokenKind.LineComment or SqlTokenKind.BlockComment;

    /// <inheritdoc />
    public override string ToString() => $"{Kind}@{Start}+{Length}";
}
