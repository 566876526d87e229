using System.Data.Common;
using Npgsql;
using NpgsqlTypes;

namespace PgDiscipline.EntityFrameworkCore.Tests.Coalescing;

public sealed class CoalescingTests
{
    private static DbParameterCollection Params(params object?[] values)
    {
        var command = new NpgsqlCommand();
        for (var i = 0; i < values.Length; i++)
        {
            command.Parameters.Add(new NpgsqlParameter("p" + i, values[i] ?? DBNull.Value));
        }

        return command.Parameters;
    }

    private const string Sql = "SELECT id, name FROM users WHERE id = @p0";

    [Fact]
    public void Equal_text_and_values_share_a_key_and_any_difference_separates_them()
    {
        var key = ReadCoalescer.KeyOf("default", Sql, Params(7));
        Assert.NotNull(key);
        Assert.Equal(key, ReadCoalescer.KeyOf("default", Sql, Params(7)));
        Assert.NotEqual(key, ReadCoalescer.KeyOf("default", Sql, Params(8)));
        Assert.NotEqual(key, ReadCoalescer.KeyOf("default", Sql, Params(7L)));   // another type, another parameter
        Assert.NotEqual(key, ReadCoalescer.KeyOf("default", Sql, Params("7")));
        Assert.NotEqual(key, ReadCoalescer.KeyOf("primary", Sql, Params(7)));    // another target
        Assert.NotEqual(key, ReadCoalescer.KeyOf("default", Sql + " ", Params(7)));
        Assert.NotEqual(ReadCoalescer.KeyOf("default", Sql, Params("a", "bc")), ReadCoalescer.KeyOf("default", Sql, Params("ab", "c")));
        Assert.NotEqual(ReadCoalescer.KeyOf("default", Sql, Params(new[] { 1, 2 })), ReadCoalescer.KeyOf("default", Sql, Params(new[] { 1, 3 })));
        Assert.NotEqual(ReadCoalescer.KeyOf("default", Sql, Params(new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc))), ReadCoalescer.KeyOf("default", Sql, Params(new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Local))));
        Assert.Equal(ReadCoalescer.KeyOf("default", Sql, Params((object?)null)), ReadCoalescer.KeyOf("default", Sql, Params(DBNull.Value)));
    }

    [Fact]
    public void A_value_whose_equality_cannot_be_judged_from_its_text_is_never_coalesced()
    {
        Assert.Null(ReadCoalescer.KeyOf("default", Sql, Params(new object())));
        Assert.Null(ReadCoalescer.KeyOf("default", Sql, Params(new List<object> { new() })));
        Assert.NotNull(ReadCoalescer.KeyOf("default", Sql, Params(new List<int> { 1 })));
    }

    [Fact]
    public async Task A_follower_joins_only_a_leader_at_or_past_its_session_position_and_a_finished_flight_takes_no_one()
    {
        var coalescer = new ReadCoalescer();
        var at100 = new NpgsqlLogSequenceNumber(100);
        var (flight, leader) = coalescer.Enter("k", at100)!.Value;
        Assert.True(leader);
        Assert.Equal((flight, false), coalescer.Enter("k", default)!.Value);
        Assert.Equal((flight, false), coalescer.Enter("k", at100)!.Value);
        Assert.Null(coalescer.Enter("k", new NpgsqlLogSequenceNumber(101))); // its own write is newer than the leader's start
        Assert.Equal(2, flight.Followers);

        var result = BufferedResultOf(1);
        coalescer.Complete(flight, result);
        Assert.True(flight.Result.IsCompletedSuccessfully); // completed at once, no wait
        Assert.Same(result, await flight.Result);
        Assert.Equal(0, coalescer.InFlight);
        Assert.False(flight.TryFollow());
        var (next, leadsAgain) = coalescer.Enter("k", default)!.Value;
        Assert.True(leadsAgain);
        Assert.NotSame(flight, next);
    }

    [Fact]
    public async Task Each_reader_reads_the_same_rows_on_its_own_and_converts_like_npgsql()
    {
        var stamp = new DateTime(2026, 11, 29, 12, 0, 0, DateTimeKind.Utc);
        var result = await BufferAsync(new object[][] { [1, "a", stamp, new[] { 1, 2 }], [2, DBNull.Value, stamp, new[] { 3 }] }, maxRows: 100);
        Assert.NotNull(result);
        using var first = new BufferedDataReader(result!);
        using var second = new BufferedDataReader(result!);
        Assert.True(first.Read());
        Assert.True(second.Read());
        Assert.True(second.Read());
        Assert.Equal(1, first.GetInt32(0));
        Assert.Equal("a", first.GetFieldValue<string>(1));
        Assert.Equal(1L, first.GetInt64(0)); // widening, as Npgsql allows
        Assert.Equal(new DateTimeOffset(stamp), first.GetFieldValue<DateTimeOffset>(2));
        Assert.Equal([1, 2], first.GetFieldValue<List<int>>(3));
        Assert.True(second.IsDBNull(1));
        Assert.Equal(2, second.GetInt32(0));
        Assert.False(second.Read());
        Assert.Equal(1, first.GetOrdinal("name"));
        Assert.Equal(typeof(string), first.GetFieldType(1));
        var cast = Assert.Throws<InvalidCastException>(() => first.GetFieldValue<Guid>(1));
        Assert.Contains("'name'", cast.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Past_the_bound_nothing_is_shared_and_the_leader_streams_the_rest()
    {
        var rows = Enumerable.Range(1, 10).Select(i => new object[] { i, "n" + i, DateTime.UnixEpoch, Array.Empty<int>() }).ToArray();
        var table = Table(rows);
        using var live = table.CreateDataReader();
        var (result, partial) = await BufferedResult.ReadAsync(live, maxRows: 4, maxBytes: 1 << 20, sync: false, CancellationToken.None);
        Assert.Null(result);
        using var reader = new BufferedDataReader(partial, live);
        var ids = new List<int>();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetInt32(0));
        }

        Assert.Equal(Enumerable.Range(1, 10), ids);
    }

    private static BufferedResult BufferResultSync(object[][] rows) => BufferAsync(rows, 100).GetAwaiter().GetResult()!;

    private static BufferedResult BufferedResultOf(int rows)
        => BufferResultSync(Enumerable.Range(0, rows).Select(i => new object[] { i, "x", DateTime.UnixEpoch, Array.Empty<int>() }).ToArray());

    private static async Task<BufferedResult?> BufferAsync(object[][] rows, int maxRows)
    {
        using var reader = Table(rows).CreateDataReader();
        return (await BufferedResult.ReadAsync(reader, maxRows, 1 << 20, sync: false, CancellationToken.None)).Result;
    }

    private static System.Data.DataTable Table(object[][] rows)
    {
        var table = new System.Data.DataTable();
        table.Columns.Add("id", typeof(int));
        table.Columns.Add("name", typeof(string));
        table.Columns.Add("at", typeof(DateTime));
        table.Columns.Add("tags", typeof(int[]));
        foreach (var row in rows)
        {
            table.Rows.Add(row);
        }

        return table;
    }
}
