using System.Data.Common;

namespace PgDiscipline.Pipeline;

/// <summary>What a stage answered for a command: nothing (EF Core runs the command as the stages left it), or the reader,
/// the affected-row count or the scalar the stage produced itself. Sixteen bytes: every stage of the chain returns one.</summary>
internal readonly struct Served
{
    private const byte IsReader = 1;
    private const byte IsRows = 2;
    private const byte IsScalar = 4;
    private const byte ReadDone = 8;
    private const byte ReadTrue = 16;

    private readonly object? _value;
    private readonly int _rows;
    private readonly byte _flags;

    private Served(object? value, int rows, byte flags)
    {
        _value = value;
        _rows = rows;
        _flags = flags;
    }

    /// <summary>EF Core runs the command itself.</summary>
    public static Served None => default;

    /// <summary>A reader positioned on the application's first result.</summary>
    public DbDataReader? Reader => (_flags & IsReader) != 0 ? (DbDataReader)_value! : null;

    /// <summary><see cref="Reader"/>'s first <c>Read</c> has been made already (to know the read reached its first row);
    /// <see cref="FirstRead"/> is what it returned.</summary>
    public bool FirstReadDone => (_flags & ReadDone) != 0;

    public bool FirstRead => (_flags & ReadTrue) != 0;

    public int? RecordsAffected => (_flags & IsRows) != 0 ? _rows : null;

    public object? Scalar => (_flags & IsScalar) != 0 ? _value : null;

    public bool HasScalar => (_flags & IsScalar) != 0;

    public bool HasResult => _flags != 0;

    public static Served WithReader(DbDataReader reader) => reader is null ? None : new(reader, 0, IsReader);

    public static Served WithReaderAfterFirstRead(DbDataReader reader, bool firstRead) => reader is null ? None : new(reader, 0, (byte)(IsReader | ReadDone | (firstRead ? ReadTrue : 0)));

    public static Served WithRows(int recordsAffected) => new(null, recordsAffected, IsRows);

    public static Served WithScalar(object? value) => new(value, 0, IsScalar);
}
