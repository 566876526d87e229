using System.CommandLine;

namespace PgDiscipline.Cli.Commands;

/// <summary>
/// One <c>pgdiscipline</c> verb (dotnet-ef's <c>Commands/*Command.cs</c> layout): its arguments and options are fields
/// added in its constructor, its work is <see cref="ExecuteAsync"/>, and it returns an <see cref="ExitCodes"/> value.
/// Output and error writers come from the invocation, so tests run verbs in-process.
/// </summary>
internal abstract class CliCommand : Command
{
    protected CliCommand(string name, string description)
        : base(name, description)
        => SetAction(ExecuteAsync);

    /// <summary>Runs the verb with the parsed <paramref name="parse"/>.</summary>
    protected abstract Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken);

    protected static TextWriter Output(ParseResult parse) => parse.InvocationConfiguration.Output;

    protected static TextWriter Error(ParseResult parse) => parse.InvocationConfiguration.Error;

    /// <summary>Writes <c>prefix: message</c> to the error writer and returns <paramref name="code"/>.</summary>
    protected static async Task<int> FailAsync(ParseResult parse, string prefix, int code, string message)
    {
        await Error(parse).WriteLineAsync($"{prefix}: {message}").ConfigureAwait(false);
        return code;
    }
}
