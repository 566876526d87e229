using PgDiscipline.Sql;

namespace PgDiscipline.Sql.Tests;

public sealed class BackfillStatementTests
{
    [Theory]
    [InlineData("update users set email_lower = lower(email) where id between :lower and :upper", SqlStatementKind.Update)]
    [InlineData("UPDATE users SET n = n + 1 WHERE id >= @lower AND id <= @upper AND n = 0", SqlStatementKind.Update)]
    [InlineData("delete from events where id between :lower and :upper and created_at < now() - interval '90 days'", SqlStatementKind.Delete)]
    [InlineData("insert into users_copy select * from users where id between :LOWER and :Upper", SqlStatementKind.Insert)]
    [InlineData("with moved as (update t set x = 1 where id between :lower and :upper returning id) update log set y = 1 from moved where log.id = moved.id", SqlStatementKind.Update)]
    public void A_data_modifying_statement_with_both_bounds_is_valid(string sql, SqlStatementKind kind)
    {
        var statement = BackfillStatement.Parse(sql);
        Assert.True(statement.IsValid, string.Join("; ", statement.Errors));
        Assert.Equal(kind, statement.Kind);
    }

    [Fact]
    public void Bind_casts_the_bounds_to_the_key_type_and_leaves_strings_comments_and_casts_alone()
    {
        var statement = BackfillStatement.Parse("""
            update t set note = ':lower is text', at = now()::timestamptz -- :upper in a comment
            where id between :lower and :upper /* :lower */ and tag <> $x$:upper$x$
            """);
        Assert.True(statement.IsValid, string.Join("; ", statement.Errors));
        var bound = statement.Bind("bigint");
        Assert.Contains("id between ($1::bigint) and ($2::bigint)", bound, StringComparison.Ordinal);
        Assert.Contains("':lower is text'", bound, StringComparison.Ordinal);
        Assert.Contains("now()::timestamptz", bound, StringComparison.Ordinal);
        Assert.Contains("-- :upper in a comment", bound, StringComparison.Ordinal);
        Assert.Contains("/* :lower */", bound, StringComparison.Ordinal);
        Assert.Contains("$x$:upper$x$", bound, StringComparison.Ordinal);
        Assert.Equal("update t set x = 1 where k between ($1::character varying(20)) and ($2::character varying(20))",
            BackfillStatement.Parse("update t set x = 1 where k between @lower and @upper").Bind("character varying(20)"));
    }

    [Theory]
    [InlineData("", "the statement is empty")]
    [InlineData("update t set x = 1 where id >= :lower", "no :upper parameter")]
    [InlineData("update t set x = 1 where id <= :upper", "no :lower parameter")]
    [InlineData("update t set x = 1", "no :lower parameter")]
    [InlineData("select * from t where id between :lower and :upper", "a SELECT statement")]
    [InlineData("update t set x = :value where id between :lower and :upper", "unknown parameter :value")]
    [InlineData("update t set x = $1 where id between :lower and :upper", "unknown parameter $1")]
    [InlineData("update t set x = 1 where id between :lower and :upper; update u set y = 2 where id between :lower and :upper", "2 statements")]
    [InlineData("update t set note = ':lower' where id < 10", "no :lower parameter")] // only in a string: not a parameter
    public void Statements_that_cannot_be_a_batch_say_why(string sql, string expected)
    {
        var statement = BackfillStatement.Parse(sql);
        Assert.False(statement.IsValid);
        Assert.Contains(statement.Errors, e => e.Contains(expected, StringComparison.Ordinal));
        Assert.Throws<InvalidOperationException>(() => statement.Bind("bigint"));
    }
}
