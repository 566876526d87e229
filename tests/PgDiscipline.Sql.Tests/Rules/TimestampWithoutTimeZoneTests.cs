namespace PgDiscipline.Sql.Tests.Rules;

/// <summary>PGD327: <c>src/PgDiscipline.Sql/Migrations/Rules/TimestampWithoutTimeZone.cs</c>.</summary>
public sealed class TimestampWithoutTimeZoneTests
{
    [Theory]
    [InlineData("CREATE TABLE t (at timestamp)")]
    [InlineData("CREATE TABLE t (at timestamp(3) without time zone)")]
    [InlineData("ALTER TABLE t ALTER COLUMN at TYPE timestamp")]
    public void Reported(string sql) => RuleCase.Reported("PGD327", sql);

    [Theory]
    [InlineData("CREATE TABLE t (at timestamptz)")]
    [InlineData("CREATE TABLE t (at timestamp with time zone, d date, tm time)")]
    public void Not_reported(string sql) => RuleCase.NotReported("PGD327", sql);
}
