using System.Collections;
using System.Data.Common;
using System.Globalization;
using Npgsql;

namespace PgDiscipline.Routing;

/// <summary>
/// A replica read's first rows, read inside the try's bound, then the rest from the server. When the whole result fits
/// (<see cref="MaxRows"/>, <see cref="MaxChars"/>) a replica that dies after its first row costs a retry elsewhere, not a
/// failed read: the rows were in hand before EF Core saw any. Only columns whose values read back exactly through
/// <see cref="DbDataReader.GetValue"/> are buffered (a json or array column could be read as another type by EF Core).
/// </summary>
internal sealed partial class BufferedReplicaReader : DbDataReader
{
    internal const int MaxRows = 100;
    internal const long MaxChars = 256 * 1024;

    private static readonly HashSet<string> Exact = new(StringComparer.Ordinal)
    {
        "bool", "int2", "int4", "int8", "float4", "float8", "numeric", "text", "varchar", "bpchar", "uuid",
        "timestamptz", "timestamp", "date", "time", "bytea",
    };

    private readonly DbDataReader _inner;
    private readonly List<object[]> _rows;
    private readonly string[] _names;
    private readonly Type[] _types;
    private readonly string[] _typeNames;
    private int _row = -1;
    private bool _live;      // past the buffer: rows come from the server
    private bool _nextResultPending; // the buffer ended the result and the server holds another one
    private bool _closed;
    private bool _liveRowPending; // the inner reader already stands on the first row after the buffer

    private BufferedReplicaReader(DbDataReader inner, (string[] Names, Type[] Types, string[] TypeNames) columns, List<object[]> rows, bool complete, bool nextResult)
    {
        _inner = inner;
        _rows = rows;
        (_names, _types, _typeNames) = columns;
        Complete = complete;
        _nextResultPending = nextResult;
    }

    /// <summary>The current result's columns (read before the reader moves past it).</summary>
    private static (string[] Names, Type[] Types, string[] TypeNames) Columns(DbDataReader reader)
    {
        var n = reader.FieldCount;
        var (names, types, typeNames) = (new string[n], new Type[n], new string[n]);
        for (var i = 0; i < n; i++)
        {
            names[i] = reader.GetName(i);
            types[i] = reader.GetFieldType(i);
            typeNames[i] = reader.GetDataTypeName(i);
        }

        return (names, types, typeNames);
    }

    /// <summary>Every row of the result is in the buffer (a failure of the server can no longer reach EF Core through it).</summary>
    internal bool Complete { get; }

    /// <summary>Whether the columns of <paramref name="reader"/>'s current result can be buffered exactly.</summary>
    internal static bool CanBuffer(DbDataReader reader)
    {
        if (reader is not NpgsqlDataReader npgsql || reader.FieldCount == 0)
        {
            return false;
        }

        try
        {
            for (var i = 0; i < reader.FieldCount; i++)
            {
                if (!Exact.Contains(npgsql.GetPostgresType(i).InternalName))
                {
                    return false;
                }
            }
        }
        catch (InvalidOperationException)
        {
            return false; // a type Npgsql does not know: read it the usual way
        }

        return true;
    }

    /// <summary>Reads the current row of <paramref name="reader"/> (positioned on it) and up to <see cref="MaxRows"/> in
    /// all. At the end of the result it asks for the next one, so a complete buffer has read everything the server sends.</summary>
    internal static async Task<BufferedReplicaReader> ReadAsync(DbDataReader reader, CancellationToken cancellationToken)
    {
        var columns = Columns(reader);
        var rows = new List<object[]>();
        long chars = 0;
        var more = true;
        while (more && rows.Count < MaxRows && chars <= MaxChars)
        {
            var values = new object[reader.FieldCount];
            reader.GetValues(values);
            rows.Add(values);
            chars += Size(values);
            more = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }

        if (more)
        {
            // Too large to hold: the reader is on the row after the buffer, served from the server after it.
            return new BufferedReplicaReader(reader, columns, rows, complete: false, nextResult: false) { _liveRowPending = true };
        }

        var next = await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
        var buffered = new BufferedReplicaReader(reader, columns, rows, complete: !next, nextResult: next);
        if (!next)
        {
            // Everything is in hand: give the connection back now (a failure to close it cannot cost the rows).
            try
            {
                await reader.CloseAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is NpgsqlException or IOException or ObjectDisposedException)
            {
            }
        }

        return buffered;
    }

    private static long Size(object[] values)
    {
        long size = values.Length;
        foreach (var v in values)
        {
            size += v switch { string s => s.Length, byte[] b => b.Length, _ => 8 };
        }

        return size;
    }

    private object[] Current => !_live && _row >= 0 && _row < _rows.Count ? _rows[_row] : throw new InvalidOperationException("No current row.");

    public override bool Read()
    {
        if (!_live && ++_row < _rows.Count)
        {
            return true;
        }

        return Tail();
    }

    public override Task<bool> ReadAsync(CancellationToken cancellationToken)
        => !_live && _row + 1 < _rows.Count ? Task.FromResult(++_row < _rows.Count) : TailAsync(cancellationToken);

    private bool Tail()
    {
        _row = _rows.Count;
        if (!_live && _liveRowPending)
        {
            _live = true;
            _liveRowPending = false;
            return true;
        }

        if (!_live)
        {
            return false; // end of the buffered result (a further result is reached through NextResult)
        }

        return _inner.Read();
    }

    private async Task<bool> TailAsync(CancellationToken cancellationToken)
    {
        _row = _rows.Count;
        if (!_live && _liveRowPending)
        {
            _live = true;
            _liveRowPending = false;
            return true;
        }

        return _live && await _inner.ReadAsync(cancellationToken).ConfigureAwait(false);
    }

    public override bool NextResult()
    {
        if (_nextResultPending)
        {
            _nextResultPending = false;
            _live = true;
            return true;
        }

        return !Complete && _live && _inner.NextResult();
    }

    public override async Task<bool> NextResultAsync(CancellationToken cancellationToken)
    {
        if (_nextResultPending)
        {
            _nextResultPending = false;
            _live = true;
            return true;
        }

        return !Complete && _live && await _inner.NextResultAsync(cancellationToken).ConfigureAwait(false);
    }

    public override IEnumerator GetEnumerator() => new DbEnumerator(this, closeReader: false);

    public override void Close()
    {
        if (!_closed)
        {
            _closed = true;
            _inner.Close();
        }
    }

    public override async Task CloseAsync()
    {
        if (!_closed)
        {
            _closed = true;
            await _inner.CloseAsync().ConfigureAwait(false);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Close();
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await CloseAsync().ConfigureAwait(false);
        await _inner.DisposeAsync().ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }
}
