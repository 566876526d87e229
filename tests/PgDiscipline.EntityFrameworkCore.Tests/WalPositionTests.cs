using NpgsqlTypes;
using PgDiscipline.Routing;

namespace PgDiscipline.EntityFrameworkCore.Tests;

/// <summary>A write's position is read with <c>pg_current_wal_insert_lsn()</c>, which points past a page header when the
/// write's last record ended on a page boundary; a standby's replay position stops at the boundary. Compared raw, a
/// replica that has replayed the write looked behind until the next WAL record (clean-clone CI-11: one session read of
/// twenty went to the primary although the test had waited for both replicas to replay).</summary>
public sealed class WalPositionTests
{
    [Theory]
    [InlineData("0/3000018", "0/3000000")] // 24 bytes into a page: only a header lies between, so the boundary
    [InlineData("1/7FFE018", "1/7FFE000")]
    [InlineData("0/3000028", "0/3000028")] // 40: a segment's long header, or a record's end on another page: kept
    [InlineData("0/3000020", "0/3000020")]
    [InlineData("0/3001F18", "0/3001F18")]
    [InlineData("0/0", "0/0")]
    public void An_insert_position_just_past_a_page_header_is_the_page_boundary(string insert, string end)
        => Assert.Equal(NpgsqlLogSequenceNumber.Parse(end), Lsns.RecordEnd(NpgsqlLogSequenceNumber.Parse(insert)));

    [Fact]
    public void A_session_waits_for_the_boundary_whether_the_position_came_from_a_capture_or_a_token()
    {
        var captured = new PgDisciplineSession();
        captured.Captured(NpgsqlLogSequenceNumber.Parse("0/5002018"));
        Assert.Equal(NpgsqlLogSequenceNumber.Parse("0/5002000"), captured.RequiredPosition);

        var options = new CurrentOptions(new PgDisciplineOptions());
        var fromToken = new PgDisciplineSession { Codec = new SessionTokenCodec(options, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance) };
        fromToken.Token = "pgd1.0/5002018";
        Assert.Equal(NpgsqlLogSequenceNumber.Parse("0/5002000"), fromToken.RequiredPosition);
    }
}
