using PgDiscipline.Sql;

namespace PgDiscipline.Sql.Tests;

public sealed class LexerTests
{
    private static List<(SqlTokenKind Kind, string Text)> Lex(string sql)
    {
        var lexer = new SqlLexer(sql);
        var result = new List<(SqlTokenKind, string)>();
        while (lexer.NextSignificant(out var t))
        {
            result.Add((t.Kind, sql.Substring(t.Start, t.Length)));
        }

        return result;
    }

    private static (SqlTokenKind Kind, string Text) Single(string sql) => Assert.Single(Lex(sql));

    [Theory]
    [InlineData("'it''s'")]
    [InlineData("E'it\\'s \\\\ ok'")]
    [InlineData("e'\\n'")]
    [InlineData("N'national'")]
    [InlineData("B'1010'")]
    [InlineData("X'1F'")]
    [InlineData("U&'d\\0061t\\+000061'")]
    [InlineData("U&'d!0061t' UESCAPE '!'")]
    [InlineData("u&'x'  uescape   '#'")]
    [InlineData("$$a ; 'b' -- c$$")]
    [InlineData("$tag$ has $$ and $other$ inside $tag$")]
    [InlineData("$é$ unicode tag $é$")]
    [InlineData("'line one'\n'line two'")]
    [InlineData("'a'  \n  -- comment\n  'b'")]
    public void String_constants_are_one_token(string sql) => Assert.Equal((SqlTokenKind.String, sql), Single(sql));

    [Fact]
    public void Adjacent_strings_without_a_newline_are_two_tokens()
        => Assert.Equal([SqlTokenKind.String, SqlTokenKind.String], Lex("'a' 'b'").Select(t => t.Kind));

    [Theory]
    [InlineData("\"Order\"")]
    [InlineData("\"a\"\"b\"")]
    [InlineData("U&\"d\\0061t\"")]
    [InlineData("U&\"d!0061t\" UESCAPE '!'")]
    public void Quoted_identifiers(string sql) => Assert.Equal((SqlTokenKind.QuotedIdentifier, sql), Single(sql));

    [Theory]
    [InlineData("42")]
    [InlineData("1.5")]
    [InlineData(".5")]
    [InlineData("1.")]
    [InlineData("1e10")]
    [InlineData("1.5E-3")]
    [InlineData("2e+7")]
    [InlineData("0x1F")]
    [InlineData("0XdeadBEEF")]
    [InlineData("0o17")]
    [InlineData("0b101")]
    [InlineData("1_000_000")]
    [InlineData("0x_FF")]
    public void Numbers(string sql) => Assert.Equal((SqlTokenKind.Number, sql), Single(sql));

    [Fact]
    public void Range_dots_do_not_become_a_fraction()
        => Assert.Equal(["1", ".", ".", "2"], Lex("1..2").Select(t => t.Text));

    [Theory]
    [InlineData("$1")]
    [InlineData("$12")]
    [InlineData("@p0")]
    [InlineData("@__city_0")]
    [InlineData(":name")]
    public void Parameters(string sql) => Assert.Equal((SqlTokenKind.Parameter, sql), Single(sql));

    [Theory]
    [InlineData("a @> b", "@>")]
    [InlineData("a ->> 'k'", "->>")]
    [InlineData("a #>> '{x}'", "#>>")]
    [InlineData("a <-> b", "<->")]
    [InlineData("a != b", "!=")]
    [InlineData("a <> b", "<>")]
    [InlineData("a || b", "||")]
    [InlineData("a ?| b", "?|")]
    [InlineData("a @@ b", "@@")]
    [InlineData("f(x => 1)", "=>")]
    [InlineData("a := 1", ":=")]
    public void Operators(string sql, string op)
        => Assert.Contains((SqlTokenKind.Operator, op), Lex(sql));

    [Fact]
    public void Operator_cannot_end_in_minus_without_a_special_character()
        => Assert.Equal(["a", "=", "-", "1"], Lex("a=-1").Select(t => t.Text));

    [Fact]
    public void Operator_may_end_in_minus_with_a_special_character()
        => Assert.Equal(["a", "@-", "1"], Lex("a@-1").Select(t => t.Text));

    [Fact]
    public void Operator_stops_before_a_comment()
        => Assert.Equal(["a", "*", "b"], Lex("a*-- comment\nb").Select(t => t.Text));

    [Fact]
    public void Cast_and_slices()
    {
        Assert.Equal([SqlTokenKind.String, SqlTokenKind.Cast, SqlTokenKind.Word], Lex("'1'::int").Select(t => t.Kind));
        Assert.Equal(["a", "[", "1", ":", "2", "]"], Lex("a[1:2]").Select(t => t.Text));
    }

    [Fact]
    public void Nested_block_comments_are_skipped_whole()
        => Assert.Equal(["select", "1"], Lex("/* a /* b */ still comment */ select 1").Select(t => t.Text));

    [Fact]
    public void Identifiers_may_contain_dollar_and_non_ascii()
        => Assert.Equal([(SqlTokenKind.Word, "price$usd"), (SqlTokenKind.Word, "größe")], Lex("price$usd größe"));

    [Theory]
    [InlineData("'unterminated")]
    [InlineData("E'unterminated \\'")]
    [InlineData("\"unterminated")]
    [InlineData("$$unterminated")]
    [InlineData("$a$unterminated $b$")]
    public void Unterminated_tokens_run_to_the_end(string sql)
    {
        var token = Single(sql);
        Assert.Equal(sql, token.Text);
    }

    [Fact]
    public void Unterminated_block_comment_runs_to_the_end()
        => Assert.Empty(Lex("select /* never closed"). Skip(1));

    [Fact]
    public void Stray_dollar_is_a_single_other_token()
        => Assert.Equal([(SqlTokenKind.Other, "$"), (SqlTokenKind.Word, "x")], Lex("$ x"));

    [Fact]
    public void Tokens_cover_the_input_exactly()
    {
        const string sql = "SELECT \"a\".x::int, E'q\\'', $$d$$ FROM t /* c */ WHERE y @> '{}' -- tail";
        var lexer = new SqlLexer(sql);
        var pos = 0;
        while (lexer.Next(out var t))
        {
            Assert.Equal(pos, t.Start);
            Assert.True(t.Length > 0);
            pos = t.End;
        }

        Assert.Equal(sql.Length, pos);
    }
}
