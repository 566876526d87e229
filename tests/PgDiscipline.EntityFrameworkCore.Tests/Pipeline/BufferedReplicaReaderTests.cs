using PgDiscipline.Routing;

namespace PgDiscipline.EntityFrameworkCore.Tests.Pipeline;

/// <summary>A replica read's rows read whole inside the try's bound (so a server dying after the first row costs a retry,
/// not a failed read), replayed to EF Core with the values and conversions Npgsql would give.</summary>
public sealed class BufferedReplicaReaderTests
{
    private static async Task<(BufferedReplicaReader Buffered, FakeReader Inner)> BufferAsync(params object[][][] results)
    {
        var inner = new FakeReader(results);
        Assert.True(await inner.ReadAsync(CancellationToken.None)); // the try reads the first row before buffering
        return (await BufferedReplicaReader.ReadAsync(inner, CancellationToken.None), inner);
    }

    [Fact]
    public async Task A_small_result_is_replayed_whole_and_the_server_is_done_with()
    {
        var (reader, inner) = await BufferAsync([[1L, "a"], [2L, "b"], [3L, DBNull.Value]]);
        Assert.True(reader.Complete);
        Assert.Equal(1, inner.Closes); // connection given back before EF Core reads a row

        var seen = new List<(long, string?)>();
        while (await reader.ReadAsync())
        {
            seen.Add((reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetString(1)));
        }

        Assert.Equal([(1L, "a"), (2L, "b"), (3L, null)], seen);
        Assert.False(await reader.NextResultAsync());
    }

    [Fact]
    public async Task A_result_larger_than_the_buffer_continues_from_the_server_in_order()
    {
        var rows = Enumerable.Range(1, BufferedReplicaReader.MaxRows + 5).Select(i => new object[] { (long)i }).ToArray();
        var (reader, inner) = await BufferAsync(rows);
        Assert.False(reader.Complete);
        Assert.Equal(0, inner.Closes);

        var seen = new List<long>();
        while (reader.Read())
        {
            seen.Add(reader.GetFieldValue<long>(0));
        }

        Assert.Equal(Enumerable.Range(1, BufferedReplicaReader.MaxRows + 5).Select(i => (long)i), seen);
    }

    [Fact]
    public async Task A_second_result_is_reached_through_NextResult()
    {
        var (reader, _) = await BufferAsync([[1]], [[10], [11]]);
        Assert.False(reader.Complete);
        Assert.True(reader.Read());
        Assert.Equal(1, reader.GetInt32(0));
        Assert.False(reader.Read());
        Assert.True(reader.NextResult());
        Assert.True(reader.Read());
        Assert.Equal(10, reader.GetInt32(0));
        Assert.True(reader.Read());
        Assert.False(reader.Read());
    }

    [Fact]
    public async Task Values_convert_as_Npgsql_converts_them_for_the_types_EF_Core_asks_for()
    {
        var utc = new DateTime(2026, 12, 7, 10, 30, 0, DateTimeKind.Utc);
        var (reader, _) = await BufferAsync([[utc, new DateTime(2026, 12, 7), TimeSpan.FromHours(9), 7, "x", DBNull.Value]]);
        Assert.True(reader.Read());
        Assert.Equal(new DateTimeOffset(utc), reader.GetFieldValue<DateTimeOffset>(0));
        Assert.Equal(new DateOnly(2026, 12, 7), reader.GetFieldValue<DateOnly>(1));
        Assert.Equal(new TimeOnly(9, 0), reader.GetFieldValue<TimeOnly>(2));
        Assert.Equal(7L, reader.GetInt64(3)); // an int4 column read into a long property
        Assert.Equal('x', reader.GetChar(4));
        Assert.Null(reader.GetFieldValue<int?>(5));
        Assert.Throws<InvalidCastException>(() => reader.GetFieldValue<int>(5));
    }

    [Fact]
    public void Only_a_reader_whose_columns_read_back_exactly_is_buffered()
        => Assert.False(BufferedReplicaReader.CanBuffer(new FakeReader([[1]]))); // not Npgsql's: column types unknown
}
