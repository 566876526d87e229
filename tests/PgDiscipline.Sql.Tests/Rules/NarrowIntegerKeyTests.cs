namespace PgDiscipline.Sql.Tests.Rules;

/// <summary>PGD324: <c>src/PgDiscipline.Sql/Migrations/Rules/NarrowIntegerKey.cs</c>.</summary>
public sealed class NarrowIntegerKeyTests
{
    [Theory]
    [InlineData("CREATE TABLE users (id int PRIMARY KEY)")]
    [InlineData("CREATE TABLE users (id serial)")]
    [InlineData("CREATE TABLE orders (id bigint, user_id integer REFERENCES users (id))")]
    [InlineData("ALTER TABLE orders ADD COLUMN account_id smallint")]
    [InlineData("CREATE TABLE \"Orders\" (\"CustomerId\" integer)")]
    public void Reported(string sql) => RuleCase.Reported("PGD324", sql);

    [Theory]
    [InlineData("CREATE TABLE users (id bigint PRIMARY KEY, login_count int)")]
    [InlineData("CREATE TABLE users (id bigserial, ids int[])")]
    [InlineData("ALTER TABLE t ADD COLUMN paid int")]
    public void Not_reported(string sql) => RuleCase.NotReported("PGD324", sql);
}
