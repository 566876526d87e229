namespace PgDiscipline.EntityFrameworkCore.Tests.Pipeline;

/// <summary>The one reader EF Core gets: positioned past what PgDiscipline added, counting exactly the rows the
/// application reads, completing its execution once.</summary>
public sealed class PgDisciplineDataReaderTests
{
    private static readonly object[][] SetConfigRow = [["2000ms"]];

    private static CommandPlan Plan(string text) => Parts.Planner(new PgDisciplineOptions(), Parts.Statistics()).PlanFor(text);

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(5)]
    public async Task Rows_are_exactly_those_the_application_read_past_the_timeout_prefix(int rows)
    {
        var plan = Plan("select * from users where id = @p0");
        var execution = Parts.Execution(plan, Events.Command(plan.CommandText));
        execution.Shape.Prefix = plan.OutsidePrefix ?? "/* pgdiscipline:timeouts */ SELECT set_config('statement_timeout', '2000ms', true);";
        var inner = new FakeReader(SetConfigRow, [.. Enumerable.Range(1, rows).Select(i => new object[] { i })]);
        await ShapedResults.PositionAsync(inner, execution.Shape, sync: false, CancellationToken.None);
        var reader = execution.Reader.Open(inner);
        execution.Executed(TimeSpan.FromMilliseconds(1));

        var seen = new List<int>();
        while (await reader.ReadAsync())
        {
            seen.Add(reader.GetInt32(0));
        }

        Assert.False(reader.Read()); // reading past the end counts nothing
        await reader.DisposeAsync();
        Assert.Equal(Enumerable.Range(1, rows), seen);
        Assert.Equal(rows, plan.Stats!.Rows);
        Assert.Equal(1, plan.Stats.Calls);
        Assert.True(inner.Closes > 0);
    }

    [Fact]
    public async Task The_probe_answer_is_read_and_the_first_row_read_ahead_is_replayed_once()
    {
        var plan = Plan("select * from users");
        var execution = Parts.Execution(plan, Events.Command(plan.CommandText));
        var shape = new CommandShape { Prefix = "/* pgdiscipline:timeouts */ SELECT 1;", Probe = true };
        var inner = new FakeReader(SetConfigRow, [["0/16B3748"]], [[1], [2]]);
        Assert.Equal("0/16B3748", await ShapedResults.PositionAsync(inner, shape, sync: true, CancellationToken.None));
        Assert.True(inner.Read()); // as a replica read does, inside its bound

        var reader = execution.Reader.Open(inner, firstReadDone: true, firstRead: true);
        Assert.True(reader.Read());
        Assert.Equal(1, reader.GetInt32(0));
        Assert.True(reader.Read());
        Assert.Equal(2, reader.GetInt32(0));
        Assert.False(reader.Read());
        reader.Dispose();
        Assert.Equal(2, plan.Stats!.Rows);
    }

    [Fact]
    public async Task An_error_while_reading_is_counted_once_under_its_code()
    {
        var plan = Plan("select * from users");
        var execution = Parts.Execution(plan, Events.Command(plan.CommandText));
        var reader = execution.Reader.Open(new ThrowingReader());
        await Assert.ThrowsAsync<TimeoutException>(() => reader.ReadAsync());
        await reader.DisposeAsync();
        Assert.Equal(new Dictionary<string, long> { ["TimeoutException"] = 1 }, plan.Stats!.Errors.ToDictionary(p => p.Key, p => p.Value));
    }

    [Fact]
    public void A_disposed_reader_goes_back_with_its_execution_and_is_not_usable_until_reused()
    {
        var plan = Plan("select 1");
        var execution = Parts.Execution(plan, Events.Command(plan.CommandText));
        var reader = execution.Reader.Open(new FakeReader([[1]]));
        reader.Dispose();
        Assert.False(execution.Reader.InUse);
        Assert.True(reader.IsClosed);
        Assert.Throws<ObjectDisposedException>(() => reader.FieldCount);
        reader.Dispose(); // twice: nothing more happens
        Assert.Equal(1, plan.Stats!.Calls);
    }

    private sealed class ThrowingReader() : FakeReader([[1]])
    {
        public override Task<bool> ReadAsync(CancellationToken cancellationToken) => throw new TimeoutException();
    }
}
