using PgDiscipline.Routing;

namespace PgDiscipline.EntityFrameworkCore.Tests.Pipeline;

/// <summary>A replica read's result read whole inside the try's bound when small (a server dying after the first row then
/// costs a retry, not a failed read), replayed to EF Core from the start; a larger one continues from the server.</summary>
public sealed class ReplicaResultBufferTests
{
    private static async Task<(System.Data.Common.DbDataReader Reader, bool Whole, FakeReader Inner)> BufferAsync(params object[][] rows)
    {
        var inner = new FakeReader(rows);
        Assert.True(await inner.ReadAsync(CancellationToken.None)); // the try reads the first row before buffering
        var (reader, whole) = await ReplicaResultBuffer.ReadAsync(inner, CancellationToken.None);
        return (reader, whole, inner);
    }

    [Fact]
    public async Task A_small_result_is_replayed_whole_from_its_first_row_and_the_server_is_done_with()
    {
        var (reader, whole, inner) = await BufferAsync([1L, "a"], [2L, "b"], [3L, DBNull.Value]);
        Assert.True(whole);
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
        var count = ReplicaResultBuffer.MaxRows + 5;
        var (reader, whole, inner) = await BufferAsync([.. Enumerable.Range(1, count).Select(i => new object[] { (long)i })]);
        Assert.False(whole);
        Assert.Equal(0, inner.Closes);

        var seen = new List<long>();
        while (reader.Read())
        {
            seen.Add(reader.GetFieldValue<long>(0));
        }

        Assert.Equal(Enumerable.Range(1, count).Select(i => (long)i), seen);
    }

    [Fact]
    public void Only_a_reader_whose_columns_read_back_exactly_is_buffered()
        => Assert.False(ReplicaResultBuffer.CanBuffer(new FakeReader([[1]]))); // not Npgsql's: its column types are unknown
}
