using PgDiscipline.Sql;

namespace PgDiscipline.Sql.Tests;

public sealed class FactsTests
{
    private static SqlStatement One(string sql) => Assert.Single(SqlCommandInfo.Analyze(sql).Statements);

    [Theory]
    [InlineData("select 1", SqlStatementKind.Select)]
    [InlineData("(select 1) union (select 2)", SqlStatementKind.Select)]
    [InlineData("values (1)", SqlStatementKind.Select)]
    [InlineData("table users", SqlStatementKind.Select)]
    [InlineData("with x as (select 1) select * from x", SqlStatementKind.Select)]
    [InlineData("with recursive x(n) as (select 1 union all select n + 1 from x) search depth first by n set ord select * from x", SqlStatementKind.Select)]
    [InlineData("with x as (select 1) insert into t select * from x", SqlStatementKind.Insert)]
    [InlineData("INSERT INTO t VALUES (1)", SqlStatementKind.Insert)]
    [InlineData("update t set a = 1", SqlStatementKind.Update)]
    [InlineData("delete from t", SqlStatementKind.Delete)]
    [InlineData("merge into t using s on t.id = s.id when matched then do nothing", SqlStatementKind.Merge)]
    [InlineData("create index concurrently i on t (a)", SqlStatementKind.Ddl)]
    [InlineData("alter table t add column c int", SqlStatementKind.Ddl)]
    [InlineData("truncate t", SqlStatementKind.Ddl)]
    [InlineData("begin", SqlStatementKind.Utility)]
    [InlineData("set statement_timeout = 5", SqlStatementKind.Utility)]
    [InlineData("explain analyze delete from t", SqlStatementKind.Utility)]
    [InlineData("frobnicate", SqlStatementKind.Other)]
    public void Kind(string sql, SqlStatementKind kind) => Assert.Equal(kind, One(sql).Kind);

    [Theory]
    [InlineData("select * from t where id = $1", true)]
    [InlineData("select * from t where id = $1 for update", false)]
    [InlineData("select * from t where id = $1 for no key update", false)]
    [InlineData("select * from t where id = $1 for share", false)]
    [InlineData("select * from t where id = $1 for key share", false)]
    [InlineData("select * from (select * from t for update) s", false)]
    [InlineData("with u as (update t set a = 1 returning *) select * from u", false)]
    [InlineData("with d as (delete from t returning *) select count(*) from d", false)]
    [InlineData("select nextval('s')", false)]
    [InlineData("select pg_catalog.setval('s', 1)", false)]
    [InlineData("select pg_advisory_xact_lock(1)", false)]
    [InlineData("select pg_try_advisory_lock(1)", false)]
    [InlineData("select pg_current_wal_lsn()", false)]
    [InlineData("select * into new_table from t", false)]
    [InlineData("insert into t values (1)", false)]
    [InlineData("show statement_timeout", false)]
    [InlineData("select substring(name from 1 for 2) from t", true)]
    [InlineData("select * from t where a = 'for update'", true)]
    [InlineData("select 1; select 2", true)]
    [InlineData("select 1; delete from t", false)]
    [InlineData("", false)]
    public void Replica_safety(string sql, bool safe) => Assert.Equal(safe, SqlCommandInfo.Analyze(sql).IsReplicaSafe);

    [Fact]
    public void Side_effect_function_is_named()
        => Assert.Equal("nextval", One("select NEXTVAL('s')").SideEffectFunction);

    [Theory]
    [InlineData("select * from a", 0)]
    [InlineData("select * from a join b on a.id = b.a_id", 1)]
    [InlineData("select * from a left outer join b on true cross join c natural join d", 3)]
    [InlineData("select * from a, b, c where a.id = b.id", 2)]
    [InlineData("select * from a, lateral (select * from b, c) x", 2)]
    [InlineData("select * from a where id in (select a_id from b join c on c.id = b.c_id)", 1)]
    [InlineData("select f(1, 2), g(3, 4) from a", 0)]
    [InlineData("select extract(year from d), x is distinct from y from a, b", 1)]
    [InlineData("select * from generate_series(1, 10) g, a", 1)]
    [InlineData("update t set a = s.a from s, u where t.id = s.id", 1)]
    public void Join_count_includes_subqueries_and_comma_joins(string sql, int joins) => Assert.Equal(joins, One(sql).JoinCount);

    [Fact]
    public void Ef_core_include_chain_counts_joins()
    {
        const string sql = """
            SELECT u."Id", c."Id", m."Id", a."Id"
            FROM "Users" AS u
            LEFT JOIN "Conversations" AS c ON u."Id" = c."OwnerId"
            LEFT JOIN "Messages" AS m ON c."Id" = m."ConversationId"
            LEFT JOIN "Attachments" AS a ON m."Id" = a."MessageId"
            WHERE u."Id" = @__id_0
            """;
        var s = One(sql);
        Assert.Equal(3, s.JoinCount);
        Assert.Equal(["Users", "Conversations", "Messages", "Attachments"], s.Tables);
        Assert.True(s.IsReplicaSafe);
    }

    [Theory]
    [InlineData("select * from public.users u join orders o on o.uid = u.id", "public.users,orders")]
    [InlineData("with x as (select * from a) select * from x join b on true", "a,b")]
    [InlineData("insert into t (a, b) values (1, 2)", "t")]
    [InlineData("update only t set a = 1 from s where t.id = s.id", "t,s")]
    [InlineData("delete from t using s where t.id = s.id", "t,s")]
    [InlineData("merge into t using s on t.id = s.id when matched then update set a = s.a", "t,s")]
    [InlineData("create index concurrently if not exists i on only t (a)", "t")]
    [InlineData("alter table if exists \"Users\" add constraint fk foreign key (a) references accounts (id) not valid", "Users,accounts")]
    [InlineData("truncate table a, b", "a,b")]
    [InlineData("lock table t in access exclusive mode", "t")]
    [InlineData("select * from unnest($1) u, t", "t")]
    [InlineData("select * from (select * from a) s", "a")]
    public void Tables(string sql, string tables) => Assert.Equal(tables.Split(','), One(sql).Tables);

    [Fact]
    public void Splits_statements_but_not_inside_strings_comments_dollar_quotes_parens_or_atomic_bodies()
    {
        const string sql = """
            select 'a;b';
            /* ; */ select $$ ; $$;
            select (select 1; );
            create function f() returns int language sql begin atomic select 1; select case when true then 2 end; end;
            -- ; trailing comment
            select 2
            """;
        var info = SqlCommandInfo.Analyze(sql);
        Assert.Equal(5, info.Statements.Count);
        Assert.Equal("select 'a;b'", sql.Substring(info.Statements[0].Start, info.Statements[0].Length));
        Assert.StartsWith("create function", sql.Substring(info.Statements[3].Start, info.Statements[3].Length), StringComparison.Ordinal);
        Assert.EndsWith("end", sql.Substring(info.Statements[3].Start, info.Statements[3].Length), StringComparison.Ordinal);
    }

    [Fact]
    public void Leading_comment_lines_are_tags()
    {
        var info = SqlCommandInfo.Analyze("-- ListConversations\n-- file: Endpoints.cs:42\nSELECT 1 -- not a tag");
        Assert.Equal(["ListConversations", "file: Endpoints.cs:42"], info.Tags);
    }

    [Fact]
    public void Single_statement_fingerprint_equals_command_fingerprint()
    {
        var info = SqlCommandInfo.Analyze("select * from t where id = 1;");
        Assert.Equal(SqlFingerprint.Compute("select * from t where id = 2"), info.Fingerprint);
        Assert.Equal(info.Fingerprint, info.Statements[0].Fingerprint);
    }
}
