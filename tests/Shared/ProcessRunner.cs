using System.Diagnostics;

namespace PgDiscipline.Testing;

/// <summary>Runs a program to completion and returns its exit code and output (linked into each project that needs it).</summary>
internal static partial class ProcessRunner
{
    /// <summary>Runs <paramref name="file"/> with <paramref name="args"/>; stdout then stderr in Output. Killed after
    /// <paramref name="timeout"/> (default 5 minutes), which throws.</summary>
    public static async Task<(int Code, string Output)> RunAsync(
        string file, IEnumerable<string> args, string? workingDirectory = null, IReadOnlyDictionary<string, string>? env = null, TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (workingDirectory is not null)
        {
            psi.WorkingDirectory = workingDirectory;
        }

        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        foreach (var (key, value) in env ?? new Dictionary<string, string>())
        {
            psi.Environment[key] = value;
        }

        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(5));
        try
        {
            await process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Describe(file, psi.ArgumentList)} did not finish within {timeout ?? TimeSpan.FromMinutes(5)}");
        }

        return (process.ExitCode, await stdout.ConfigureAwait(false) + await stderr.ConfigureAwait(false));
    }

    /// <summary><c>dotnet</c> with <paramref name="args"/> in <paramref name="workingDirectory"/>.</summary>
    public static Task<(int Code, string Output)> DotnetAsync(string workingDirectory, params string[] args)
        => RunAsync("dotnet", args, workingDirectory);

    /// <summary>Like <see cref="RunAsync"/>, but a non-zero exit code throws with the output.</summary>
    public static async Task<string> RunCheckedAsync(string file, params string[] args)
    {
        var (code, output) = await RunAsync(file, args).ConfigureAwait(false);
        return code == 0
            ? output
            : throw new InvalidOperationException($"{Describe(file, args)} exited with {code}: {output}");
    }

    /// <summary>The command line for a message, with connection-string passwords masked.</summary>
    public static string Describe(string file, IEnumerable<string> args)
        => Password().Replace($"{Path.GetFileName(file)} {string.Join(' ', args)}", "Password=***");

    [System.Text.RegularExpressions.GeneratedRegex("Password=[^;'\" ]*", System.Text.RegularExpressions.RegexOptions.IgnoreCase)]
    private static partial System.Text.RegularExpressions.Regex Password();
}
