using PgDiscipline.Cli;

namespace PgDiscipline.Cli.Tests;

public sealed class VersionTests
{
    [Fact]
    public async Task Version_option_prints_the_informational_version_and_exits_zero()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await CliApp.RunAsync(["--version"], output, error, CancellationToken.None);
        Assert.Equal(0, code);
        Assert.StartsWith("0.1.0", output.ToString().Trim(), StringComparison.Ordinal);
        Assert.Equal(CliApp.Version, output.ToString().Trim());
    }

    [Fact]
    public async Task Unknown_command_fails_with_a_message()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await CliApp.RunAsync(["no-such-command"], output, error, CancellationToken.None);
        Assert.NotEqual(0, code);
        Assert.Contains("no-such-command", error.ToString(), StringComparison.Ordinal);
    }
}
