using PgDiscipline.Cli;
using PgDiscipline.Sql;

namespace PgDiscipline.Cli.Tests;

public sealed class FingerprintCommandTests
{
    private static Task<(int Code, string Out, string Err)> Run(params string[] args) => CliRunner.Run(args);

    [Fact]
    public async Task Prints_hex_and_normalized_form_matching_the_runtime_fingerprint()
    {
        const string pgss = "SELECT * FROM \"Messages\" WHERE \"ConversationId\" = $1 LIMIT $2";
        var (code, output, _) = await Run("fingerprint", pgss);
        Assert.Equal(0, code);
        var expected = SqlFingerprint.Compute("select * from \"Messages\" where \"ConversationId\" = @__id_0 limit @__p_1");
        Assert.Equal($"{expected}  {expected.Normalized}", output.TrimEnd());
    }

    [Fact]
    public async Task Missing_sql_is_an_error_with_exit_code_2()
    {
        var (code, _, error) = await Run("fingerprint");
        Assert.Equal(2, code);
        Assert.Contains("--stdin", error, StringComparison.Ordinal);
    }
}
