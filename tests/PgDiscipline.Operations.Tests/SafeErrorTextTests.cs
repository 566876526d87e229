using PgDiscipline.Operations.Diagnostics;
using PgDiscipline.Operations.Rules;

namespace PgDiscipline.Operations.Tests;

/// <summary>Issue 32, item 6: what an error may say (SQLSTATE and object names, never a value), and item 8: the grant a
/// refused role is told to run.</summary>
public sealed class SafeErrorTextTests
{
    [Theory]
    [InlineData("22P02", "invalid input syntax for type bigint: \"alice@example.com 4111-1111\"", "22P02 invalid input syntax for type bigint")]
    [InlineData("22023", "invalid value for parameter \"statement_timeout\": \"s3cret\"", "22023 invalid value for parameter \"…\"")]
    [InlineData("22021", "invalid byte sequence for encoding \"UTF8\": 0x00", "22021 invalid byte sequence for encoding \"…\"")]
    [InlineData("P0001", "card 4111-1111 declined", "P0001 (raised by the statement or the server; the message is not shown: it may hold values)")]
    [InlineData("42P01", "relation \"bf_nope\" does not exist", "42P01 relation \"bf_nope\" does not exist")]
    [InlineData("42601", "syntax error at or near \"'s3cret'\"", "42601 syntax error at or near \"…\"")]
    public void Server_messages_keep_object_names_and_drop_values(string state, string message, string expected)
        => Assert.Equal(expected, SafeErrorText.Describe(new Npgsql.PostgresException(message, "ERROR", "ERROR", state)));

    [Fact]
    public void Structured_names_are_kept_in_a_class_that_quotes_values()
    {
        var ex = new Npgsql.PostgresException("duplicate key value violates unique constraint \"users_email_key\"", "ERROR", "ERROR", "23505",
            detail: "Key (email)=(alice@example.com) already exists.", tableName: "users", constraintName: "users_email_key");
        Assert.Equal("23505 duplicate key value violates unique constraint \"users_email_key\"", SafeErrorText.Describe(ex));
    }

    [Fact]
    public void A_role_refused_while_creating_the_rule_table_is_told_both_ways_out()
    {
        using var connection = new Npgsql.NpgsqlConnection("Host=h;Username=app;Database=shop");
        var hint = RuleTableGrants.Hint(new Npgsql.PostgresException("permission denied for database shop", "ERROR", "ERROR", "42501"), creating: true, connection);
        Assert.Contains("GRANT CREATE ON DATABASE shop TO app", hint, StringComparison.Ordinal);
        Assert.Contains("DatabaseRules:CreateTable=false", hint, StringComparison.Ordinal);
        Assert.Equal("", RuleTableGrants.Hint(new TimeoutException(), creating: true, connection));
    }
}
