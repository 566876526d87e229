using System.Data.Common;
using Npgsql;
using PgDiscipline.Pipeline;

namespace PgDiscipline.Routing;

/// <summary>
/// A replica read's result read whole inside the try's bound when it is small (<see cref="MaxRows"/>,
/// <see cref="MaxBytes"/>), so a replica dying after its first row costs a retry elsewhere, not a failed read: the rows
/// are in hand before EF Core sees any. A larger result keeps its first rows and streams the rest (as coalescing does).
/// Only columns whose values read back exactly through <c>GetValue</c> are buffered: a json or array column could be
/// asked for as another type by EF Core.
/// </summary>
internal static class ReplicaResultBuffer
{
    internal const int MaxRows = 100;
    internal const long MaxBytes = 256 * 1024;

    private static readonly HashSet<string> Exact = new(StringComparer.Ordinal)
    {
        "bool", "int2", "int4", "int8", "float4", "float8", "numeric", "text", "varchar", "bpchar", "uuid",
        "timestamptz", "timestamp", "date", "time", "bytea",
    };

    /// <summary>Whether the columns of <paramref name="reader"/>'s current result can be buffered exactly.</summary>
    public static bool CanBuffer(DbDataReader reader)
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
            return false; // a type Npgsql does not know: read the usual way
        }

        return true;
    }

    /// <summary>Reads <paramref name="reader"/>'s result from its current row (its first <c>Read</c> returned true). A whole
    /// result is returned from memory and <paramref name="reader"/> disposed (its connection back to the pool); otherwise
    /// the buffered rows come first and the rest from <paramref name="reader"/>, which the returned reader then owns.
    /// EF Core reads one result per query: a whole buffer ends the command.</summary>
    public static async Task<(DbDataReader Reader, bool Whole)> ReadAsync(DbDataReader reader, CancellationToken cancellationToken)
    {
        var (whole, partial) = await BufferedResult.ReadAsync(reader, MaxRows, MaxBytes, sync: false, cancellationToken, firstReadDone: true, firstRead: true)
            .ConfigureAwait(false);
        if (whole is null)
        {
            return (new BufferedDataReader(partial, live: reader), false);
        }

        try
        {
            await reader.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or IOException or ObjectDisposedException)
        {
            // Every row is in hand: a server failing now cannot cost the read.
        }

        return (new BufferedDataReader(whole), true);
    }
}
