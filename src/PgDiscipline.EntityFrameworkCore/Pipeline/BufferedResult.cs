using System.Collections;
using System.Data.Common;

namespace PgDiscipline.Pipeline;

/// <summary>One result set read into memory by a coalesced read's leader: the columns as the server described them and
/// every row's values (<see cref="DbDataReader.GetValue"/>). Immutable once built, so every waiter gets its own
/// <see cref="BufferedDataReader"/> over the same rows.</summary>
internal sealed class BufferedResult
{
    private BufferedResult(Column[] columns, List<object[]> rows, int recordsAffected)
    {
        Columns = columns;
        Rows = rows;
        RecordsAffected = recordsAffected;
    }

    public Column[] Columns { get; }

    public List<object[]> Rows { get; }

    public int RecordsAffected { get; }

    /// <summary>Reads the current result set of <paramref name="reader"/> while it stays within <paramref name="maxRows"/>
    /// rows and about <paramref name="maxBytes"/> bytes. Returns the result, or (when a bound is passed) null and the rows
    /// read so far: the caller then streams the rest from <paramref name="reader"/>.</summary>
    /// <remarks>With <paramref name="firstReadDone"/>, the reader's first <c>Read</c> was made already and returned
    /// <paramref name="firstRead"/> (a replica read checks its first row before it is handed over).</remarks>
    public static async ValueTask<(BufferedResult? Result, BufferedResult Partial)> ReadAsync(DbDataReader reader, int maxRows, long maxBytes, bool sync, CancellationToken cancellationToken,
        bool firstReadDone = false, bool firstRead = false)
    {
        var columns = new Column[reader.FieldCount];
        for (var i = 0; i < columns.Length; i++)
        {
            columns[i] = new Column(reader.GetName(i), reader.GetFieldType(i), reader.GetDataTypeName(i));
        }

        var rows = new List<object[]>();
        long bytes = 0;
        while (rows.Count < maxRows && bytes <= maxBytes)
        {
            bool read;
            if (firstReadDone)
            {
                firstReadDone = false;
                read = firstRead;
            }
            else
            {
                read = sync ? reader.Read() : await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            }

            if (!read)
            {
                return (new BufferedResult(columns, rows, reader.RecordsAffected), null!);
            }

            var values = new object[columns.Length];
            reader.GetValues(values);
            bytes += SizeOf(values);
            rows.Add(values);
        }

        // Over a bound: the rows read so far, and the reader positioned on the last of them.
        return (null, new BufferedResult(columns, rows, -1));
    }

    /// <summary>An estimate of what a row holds (strings and byte arrays by length; everything else a word or two).</summary>
    internal static long SizeOf(object[] values)
    {
        long size = 24 + (8L * values.Length);
        foreach (var v in values)
        {
            size += v switch
            {
                string s => 24 + (2L * s.Length),
                byte[] b => 24 + b.Length,
                ICollection c => 24 + (16L * c.Count),
                _ => 16,
            };
        }

        return size;
    }

    internal sealed record Column(string Name, Type FieldType, string DataTypeName);
}
