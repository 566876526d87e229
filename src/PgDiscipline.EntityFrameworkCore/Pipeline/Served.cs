using System.Data.Common;

namespace PgDiscipline.Pipeline;

/// <summary>What a stage answered for a command: nothing (EF Core runs the command as the stages left it), or the reader,
/// the affected-row count or the scalar the stage produced itself.</summary>
internal readonly struct Served
{
    private Served(DbDataReader? reader, bool firstReadDone, bool firstRead, int? recordsAffected, object? scalar, bool hasScalar)
    {
        Reader = reader;
        FirstReadDone = firstReadDone;
        FirstRead = firstRead;
        RecordsAffected = recordsAffected;
        Scalar = scalar;
        HasScalar = hasScalar;
    }

    /// <summary>EF Core runs the command itself.</summary>
    public static Served None => default;

    /// <summary>A reader positioned on the application's first result.</summary>
    public DbDataReader? Reader { get; }

    /// <summary><see cref="Reader"/>'s first <c>Read</c> has been made already (to know the read reached its first row);
    /// <see cref="FirstRead"/> is what it returned.</summary>
    public bool FirstReadDone { get; }

    public bool FirstRead { get; }

    public int? RecordsAffected { get; }

    public object? Scalar { get; }

    public bool HasScalar { get; }

    public bool HasResult => Reader is not null || RecordsAffected is not null || HasScalar;

    public static Served WithReader(DbDataReader reader) => new(reader, false, false, null, null, false);

    public static Served WithReaderAfterFirstRead(DbDataReader reader, bool firstRead) => new(reader, true, firstRead, null, null, false);

    public static Served WithRows(int recordsAffected) => new(null, false, false, recordsAffected, null, false);

    public static Served WithScalar(object? value) => new(null, false, false, null, value, true);
}
