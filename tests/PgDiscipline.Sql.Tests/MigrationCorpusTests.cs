using PgDiscipline.Testing;
using PgDiscipline.Sql;

namespace PgDiscipline.Sql.Tests;

/// <summary>The corpus shared with build/compare-squawk.sh: each file's first line says which PGD findings it must produce.</summary>
public sealed class MigrationCorpusTests
{
    private static string CorpusDir => Path.Combine(RepoPaths.RepoRoot, "tests", "migration-corpus");

    public static TheoryData<string> Files => new(Directory.GetFiles(CorpusDir, "*.sql").Select(Path.GetFileName).Order()!);

    [Theory]
    [MemberData(nameof(Files))]
    public void Lint_finds_exactly_what_the_file_expects(string file)
    {
        var text = File.ReadAllText(Path.Combine(CorpusDir, file));
        var header = text.Split('\n')[0];
        Assert.StartsWith("-- expect:", header, StringComparison.Ordinal);
        var expected = header["-- expect:".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries).Order().ToArray();
        var actual = MigrationLint.Lint(text).Select(f => f.RuleId).Distinct().Order().ToArray();
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Corpus_covers_every_sql_lint_rule_but_the_opt_in_one()
    {
        var all = Directory.GetFiles(CorpusDir, "*.sql").SelectMany(f => MigrationLint.Lint(File.ReadAllText(f)).Select(x => x.RuleId)).ToHashSet();
        // The corpus is the one compared with squawk (build/compare-squawk.sh); the rules added for squawk's style rules
        // (PGD318 on) have their tests in Rules/.
        foreach (var id in RuleIdentifiers.All.Where(i => string.CompareOrdinal(i, "PGD301") >= 0 && string.CompareOrdinal(i, "PGD317") <= 0 && i != RuleIdentifiers.CreateTableClosed))
        {
            Assert.Contains(id, all);
        }
    }
}
