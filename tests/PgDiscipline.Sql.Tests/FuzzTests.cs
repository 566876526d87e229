using System.Diagnostics;
using PgDiscipline.Sql;

namespace PgDiscipline.Sql.Tests;

/// <summary>Random and mutated SQL never throws, never hangs, and fingerprints deterministically.</summary>
public sealed class FuzzTests
{
    private static readonly string[] Seeds =
    [
        "SELECT c.\"Id\" FROM \"Conversations\" AS c LEFT JOIN \"Messages\" AS m ON c.\"Id\" = m.\"ConversationId\" WHERE c.\"Id\" = @__id_0",
        "select * from t where a = E'x\\'y' and b = $tag$ z $tag$ and c in (1, 2, 3) /* c /* nested */ */ -- tail",
        "insert into t (a, b) values ($1, $2), ($3, $4) on conflict (a) do update set b = excluded.b returning *",
        "with x as (update t set a = U&'\\0041' UESCAPE '!' returning *) select * from x for update",
        "select a[1:2], b::int[], c @> '{}', d ->> 'k', 1e10, 0x1F, 1_000, .5 from t, u where x != y",
    ];

    private static readonly string Alphabet = "'\"$`;:()[]{}-/*\\E&U@#?!<>=~|^%+.,0123456789 \n\tabcxyzSELECT\u00e9\ud800\udc00\ud800\u0000";

    [Fact]
    public void Random_and_mutated_inputs_never_throw_and_always_terminate()
    {
        var random = new Random(20261123);
        var stopwatch = Stopwatch.StartNew();
        var tried = 0;
        for (var i = 0; i < 20_000; i++)
        {
            var input = i % 2 == 0 ? RandomText(random) : Mutate(random, Seeds[random.Next(Seeds.Length)]);
            var info = SqlCommandInfo.Analyze(input);
            Assert.NotNull(info.Fingerprint.Normalized);
            AssertLexerCovers(input);
            tried++;
        }

        Assert.Equal(20_000, tried);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromMinutes(2), "fuzzing took implausibly long: a hang or quadratic path");
    }

    [Theory]
    [InlineData(1_000_000, '(')]
    [InlineData(1_000_000, '\'')]
    [InlineData(1_000_000, '$')]
    [InlineData(500_000, '/')]
    [InlineData(1_000_000, '-')]
    [InlineData(1_000_000, '"')]
    public void Pathological_huge_inputs_finish(int length, char c)
    {
        var input = new string(c, length);
        var info = SqlCommandInfo.Analyze(input);
        Assert.NotNull(info);
        AssertLexerCovers(input);
    }

    [Fact]
    public void Deeply_nested_parentheses_and_comments()
    {
        var input = new string('(', 100_000) + "select 1" + new string(')', 100_000) + string.Concat(Enumerable.Repeat("/*", 50_000));
        Assert.NotNull(SqlCommandInfo.Analyze(input));
    }

    [Fact]
    public void Fingerprints_are_deterministic_across_calls_and_threads()
    {
        var random = new Random(7);
        var inputs = Enumerable.Range(0, 200).Select(_ => Mutate(random, Seeds[random.Next(Seeds.Length)])).ToArray();
        var first = inputs.Select(s => SqlFingerprint.Compute(s)).ToArray();
        var second = inputs.AsParallel().Select(s => SqlFingerprint.Compute(s)).ToArray();
        Assert.Equal(first, second);
    }

    private static void AssertLexerCovers(string input)
    {
        var lexer = new SqlLexer(input);
        var pos = 0;
        while (lexer.Next(out var t))
        {
            Assert.Equal(pos, t.Start);
            Assert.True(t.Length > 0);
            pos = t.End;
        }

        Assert.Equal(input.Length, pos);
    }

    private static string RandomText(Random random)
    {
        var chars = new char[random.Next(0, 200)];
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = random.Next(10) == 0 ? (char)random.Next(0, 0x10000) : Alphabet[random.Next(Alphabet.Length)];
        }

        return new string(chars);
    }

    private static string Mutate(Random random, string seed)
    {
        var chars = seed.ToList();
        var edits = random.Next(1, 6);
        for (var e = 0; e < edits && chars.Count > 0; e++)
        {
            var at = random.Next(chars.Count);
            switch (random.Next(3))
            {
                case 0:
                    chars.RemoveAt(at);
                    break;
                case 1:
                    chars.Insert(at, Alphabet[random.Next(Alphabet.Length)]);
                    break;
                default:
                    chars.RemoveRange(at, chars.Count - at);
                    break;
            }
        }

        return new string(chars.ToArray());
    }
}

/// <summary>Regressions found by the long fuzz run (build/faults.sh → docs/reliability.md).</summary>
public sealed class FuzzFindingTests
{
    [Theory]
    [InlineData("; select 1", "select 1")]
    [InlineData(";;select 1;", "select 1")]
    [InlineData("select 1;; select 2", "select 1; select 2")]
    public void Empty_statements_do_not_change_the_fingerprint_and_analyze_agrees_with_compute(string text, string equivalent)
    {
        Assert.Equal(SqlFingerprint.Compute(equivalent), SqlFingerprint.Compute(text));
        Assert.Equal(SqlFingerprint.Compute(text), SqlCommandInfo.Analyze(text).Fingerprint);
    }
}
