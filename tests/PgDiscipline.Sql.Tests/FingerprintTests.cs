using PgDiscipline.Sql;

namespace PgDiscipline.Sql.Tests;

public sealed class FingerprintTests
{
    private const string EfInclude = """
        -- GetConversation
        SELECT c."Id", c."Title", m."Id", m."Body", m."ConversationId"
        FROM "Conversations" AS c
        LEFT JOIN "Messages" AS m ON c."Id" = m."ConversationId"
        WHERE c."Id" = @__id_0
        ORDER BY c."Id"
        """;

    private static string F(string sql) => SqlFingerprint.Compute(sql).ToString();

    private static void Same(string a, string b)
    {
        var fa = SqlFingerprint.Compute(a);
        var fb = SqlFingerprint.Compute(b);
        Assert.True(fa == fb, $"expected one fingerprint:\n  {fa.Normalized}\n  {fb.Normalized}");
    }

    private static void Different(string a, string b)
    {
        var fa = SqlFingerprint.Compute(a);
        var fb = SqlFingerprint.Compute(b);
        Assert.True(fa.Hash != fb.Hash, $"expected different fingerprints, both: {fa.Normalized}");
    }

    [Fact]
    public void ToString_is_16_lowercase_hex_digits_of_the_hash()
    {
        var f = SqlFingerprint.Compute("select 1");
        Assert.Matches("^[0-9a-f]{16}$", f.ToString());
        Assert.True(SqlFingerprint.TryParseHash(f.ToString(), out var hash));
        Assert.Equal(f.Hash, hash);
    }

    [Fact]
    public void Scheme_v1_golden_value_is_stable_across_processes_and_releases()
    {
        // If this changes, the scheme changed: bump SqlFingerprint.SchemeVersion and say so in docs/fingerprints.md.
        var f = SqlFingerprint.Compute("SELECT * FROM users WHERE id = 42");
        Assert.Equal("select * from users where id = ?", f.Normalized);
        Assert.Equal(SqlFingerprint.FromNormalized("select * from users where id = ?").Hash, f.Hash);
        Assert.Equal(GoldenHash, f.ToString());
    }

    // Computed once from scheme v1 and frozen.
    private const string GoldenHash = "2f0bb69ae09c159b";

    [Fact]
    public void Ef_core_text_with_parameters_equals_literals_and_pg_stat_statements_form()
    {
        const string literal = """
            select c."Id", c."Title", m."Id", m."Body", m."ConversationId" from "Conversations" as c
            left join "Messages" as m on c."Id" = m."ConversationId" where c."Id" = 42 order by c."Id";
            """;
        const string pgss = """SELECT c."Id", c."Title", m."Id", m."Body", m."ConversationId" FROM "Conversations" AS c LEFT JOIN "Messages" AS m ON c."Id" = m."ConversationId" WHERE c."Id" = $1 ORDER BY c."Id" """;
        Same(EfInclude, literal);
        Same(EfInclude, pgss);
        Assert.Equal(
            "select c.\"Id\", c.\"Title\", m.\"Id\", m.\"Body\", m.\"ConversationId\" from \"Conversations\" as c left join \"Messages\" as m on c.\"Id\" = m.\"ConversationId\" where c.\"Id\" = ? order by c.\"Id\"",
            SqlFingerprint.Compute(EfInclude).Normalized);
    }

    [Theory]
    [InlineData("select * from t where id in (1, 2, 3)", "select * from t where id in ($1, $2)")]
    [InlineData("select * from t where id in (1, 2, 3)", "select * from t where id in ($1 /*, ... */)")]
    [InlineData("select * from t where id in (@p0, @p1, @p2, @p3)", "SELECT * FROM t WHERE id IN (42)")]
    [InlineData("select * from t where id in ($1::int, $2::int)", "select * from t where id in ('7'::int)")]
    [InlineData("select * from t where id = any (array[1, 2, 3])", "select * from t where id = any (ARRAY[$1])")]
    [InlineData("insert into t (a, b) values (@p0, @p1), (@p2, @p3), (@p4, @p5)", "insert into t (a, b) values ($1, $2)")]
    [InlineData("select * from t limit 10 offset 20", "select * from t LIMIT @__p_0 OFFSET @__p_1")]
    [InlineData("select * from t limit 10", "select * from t limit $1")]
    [InlineData("select * from t where a = 'x' and b = E'y\\'' and c = $$z$$", "select * from t where a = $1 and b = $2 and c = $3")]
    [InlineData("select * from t where a = -1", "select * from t where a = 5")]
    [InlineData("select * from t where a = - 1.5e3", "select * from t where a = @a")]
    [InlineData("select * from t where a = true", "select * from t where a = $1")]
    [InlineData("select * from t where a != 1", "select * from t where a <> 1")]
    [InlineData("SELECT  *\n\tFROM T   where A=1", "select * from t where a = 1")]
    [InlineData("select * from users", "select * from \"users\"")]
    [InlineData("select 1 /* comment */ -- trailing", "select 1;")]
    [InlineData("-- tag: a\n-- tag: b\nselect 1", "select 1")]
    [InlineData("select * from t where d = date '2020-01-01'", "select * from t where d = date $1")]
    [InlineData("select * from t where a = :name", "select * from t where a = @name")]
    [InlineData("select * from t where a = 0x1F", "select * from t where a = 1_000")]
    [InlineData("select * from t where a = U&'\\0041' UESCAPE '!'", "select * from t where a = 'A'")]
    public void Equal_pairs(string a, string b) => Same(a, b);

    [Theory]
    [InlineData("select * from users where id = 1", "select * from accounts where id = 1")]
    [InlineData("select name from users where id = 1", "select email from users where id = 1")]
    [InlineData("select * from t where a = 1", "select * from t where a <> 1")]
    [InlineData("select * from t where a = 1", "select * from t where a > 1")]
    [InlineData("select * from t order by a, b", "select * from t order by b, a")]
    [InlineData("select * from t order by a asc", "select * from t order by a desc")]
    [InlineData("select * from t where id = 1", "select * from t where id = 1 for update")]
    [InlineData("select * from t where id = 1 for update", "select * from t where id = 1 for share")]
    [InlineData("select f(a, b) from t", "select f(b, a) from t")]
    [InlineData("select * from \"Users\"", "select * from users")]
    [InlineData("select * from t where id in (1, 2)", "select * from t where id in (1, a)")]
    [InlineData("select * from t where a is true", "select * from t where a is false")]
    [InlineData("select * from t where a is null", "select * from t where a is not null")]
    [InlineData("select * from a join b on a.id = b.id", "select * from a left join b on a.id = b.id")]
    [InlineData("select * from a x join b y on x.id = y.id", "select * from c x join d y on x.id = y.id")]
    [InlineData("select a - 1 from t", "select a from t")]
    [InlineData("select \"user\" from t", "select user from t")]
    [InlineData("insert into t (a, b) values (1, 2)", "insert into t (b, a) values (1, 2)")]
    [InlineData("select * from t limit 1", "select * from t limit all")]
    public void Different_pairs(string a, string b) => Different(a, b);

    [Fact]
    public void Normalized_text_never_contains_literal_values()
    {
        const string sql = "select * from users where email = 'alice@example.com' and age > 37 and note = $q$secret text$q$ and id in (123456, 654321)";
        var normalized = SqlFingerprint.Compute(sql).Normalized;
        foreach (var secret in new[] { "alice", "example.com", "37", "secret", "123456", "654321" })
        {
            Assert.DoesNotContain(secret, normalized, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Ef_core_split_query_and_any_array_parameter()
    {
        const string split = """
            SELECT m."Id", m."Body", c."Id"
            FROM "Conversations" AS c
            INNER JOIN "Messages" AS m ON c."Id" = m."ConversationId"
            WHERE c."Id" = ANY (@ids)
            ORDER BY c."Id"
            """;
        Assert.Equal(
            "select m.\"Id\", m.\"Body\", c.\"Id\" from \"Conversations\" as c inner join \"Messages\" as m on c.\"Id\" = m.\"ConversationId\" where c.\"Id\" = any (?) order by c.\"Id\"",
            SqlFingerprint.Compute(split).Normalized);
        Same(split, split.Replace("@ids", "$1", StringComparison.Ordinal));
    }

    [Fact]
    public void Empty_and_null_text_fingerprint_without_error()
    {
        Assert.Equal("", SqlFingerprint.Compute(null).Normalized);
        Assert.Equal(SqlFingerprint.Compute("").Hash, SqlFingerprint.Compute("  -- only a comment\n").Hash);
    }
}
