namespace PgDiscipline.IntegrationTests;

public sealed class EnvFileTests
{
    [Fact]
    public void Parses_quoted_values_with_semicolons_and_skips_comments()
    {
        var env = ClusterFixture.ParseEnvFile("# comment\nPGD_PRIMARY='Host=127.0.0.1;Port=5;Password=x=y'\n\nBAD LINE\nPGD_RUN_AS=''\n");
        Assert.Equal("Host=127.0.0.1;Port=5;Password=x=y", env["PGD_PRIMARY"]);
        Assert.Equal("", env["PGD_RUN_AS"]);
        Assert.Equal(2, env.Count);
    }
}
