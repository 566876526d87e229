// The packed analyzers over a compilation of someone else's code (the real-code surveys of docs/real-world.md; the
// scripts that build their code are kept out of this repository).
//
// csc reports no analyzer diagnostic at all when a declaration does not bind (a field, base type or signature naming a
// type from a package this machine's feed does not serve): it stops after the declaration stage. Code taken out of its
// own build has such errors, so this driver builds the compilation from the inputs MSBuild resolved for the generated
// project (written by an MSBuild target that lists csc's inputs: compile.txt, references.txt, analyzers.txt,
// editorconfigs.txt, additionalfiles.txt, properties.txt) and runs the analyzers with
// CompilationWithAnalyzers, which analyses every tree whatever the compiler says. Output in OUT:
//   findings.tsv          rule, file:line, message of every PGD finding (PGD diagnostics not suppressed, not hidden)
//   compile-errors.tsv    file and number of compiler errors in it (findings in those files are judged knowing it)
//   analyzer-time.tsv     pass, analyzer assembly, execution time (s): one cold pass, then warm passes
// Usage: PgDiscipline.RealWorld INPUTS_DIR OUT_DIR ROOT [PASSES]
// Cold passes as in a build: copy the SDK's ReadyToRun Roslyn (sdk/*/Roslyn/bincore/Microsoft.CodeAnalysis*.dll) over
// the output first; the NuGet Roslyn is IL only, and its JIT is charged to whichever analyzer first runs its code.
using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

if (args.Length < 3)
{
    Console.Error.WriteLine("usage: PgDiscipline.RealWorld INPUTS_DIR OUT_DIR ROOT [PASSES]");
    return 2;
}

var inputs = args[0];
var outDir = args[1];
var root = Path.GetFullPath(args[2]);
var passes = Math.Max(1, args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 5);
Directory.CreateDirectory(outDir);

string[] Lines(string name)
{
    var path = Path.Combine(inputs, name);
    return File.Exists(path)
        ? File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0).Distinct(StringComparer.Ordinal).ToArray()
        : [];
}

var props = Lines("properties.txt")
    .Select(l => l.Split('=', 2))
    .Where(p => p.Length == 2)
    .GroupBy(p => p[0], StringComparer.Ordinal)
    .ToDictionary(g => g.Key, g => g.Last()[1], StringComparer.Ordinal);
string Prop(string key) => props.TryGetValue(key, out var v) ? v : "";

var langVersion = LanguageVersion.Latest;
if (Prop("LangVersion").Length > 0 && !LanguageVersionFacts.TryParse(Prop("LangVersion"), out langVersion))
{
    langVersion = LanguageVersion.Latest;
}

var parseOptions = new CSharpParseOptions(
    langVersion,
    DocumentationMode.Parse,
    SourceCodeKind.Regular,
    Prop("DefineConstants").Split([';', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

// Analyzer configuration as csc gets it: .editorconfig files, .globalconfig, and MSBuild's generated global config
// (build_property.* values the analyzers read).
var configs = Lines("editorconfigs.txt")
    .Where(File.Exists)
    .Select(p => AnalyzerConfig.Parse(SourceText.From(File.ReadAllText(p)), p))
    .ToImmutableArray();
var configSet = AnalyzerConfigSet.Create(configs);

var trees = Lines("compile.txt")
    .Where(File.Exists)
    .AsParallel()
    .Select(p => CSharpSyntaxTree.ParseText(SourceText.From(File.ReadAllText(p), Encoding.UTF8), parseOptions, p))
    .OrderBy(t => t.FilePath, StringComparer.Ordinal)
    .ToImmutableArray();
var treeConfig = trees.ToDictionary(t => t, t => configSet.GetOptionsForSourcePath(t.FilePath));
var additional = Lines("additionalfiles.txt")
    .Where(File.Exists)
    .Select(p => (AdditionalText)new FileText(p))
    .ToImmutableArray();

var references = Lines("references.txt")
    .Where(File.Exists)
    .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
    .ToImmutableArray();

var nullable = Prop("Nullable").ToLowerInvariant() switch
{
    "enable" => NullableContextOptions.Enable,
    "warnings" => NullableContextOptions.Warnings,
    "annotations" => NullableContextOptions.Annotations,
    _ => NullableContextOptions.Disable,
};

var compilation = CSharpCompilation.Create(
    "RealWorld",
    trees,
    references,
    new CSharpCompilationOptions(
        OutputKind.DynamicallyLinkedLibrary,
        nullableContextOptions: nullable,
        allowUnsafe: true,
        concurrentBuild: true).WithSyntaxTreeOptionsProvider(new TreeOptions(treeConfig, configSet.GlobalConfigOptions)));

// Only PgDiscipline's analyzers and EF Core's own: the build's other analyzers (CA rules, the SDK's) are not measured.
var loader = new Loader();
var analyzers = Lines("analyzers.txt")
    .Where(p => Path.GetFileName(p).StartsWith("PgDiscipline.", StringComparison.Ordinal)
                || Path.GetFileName(p).StartsWith("Microsoft.EntityFrameworkCore", StringComparison.Ordinal))
    .Where(File.Exists)
    .SelectMany(p => new AnalyzerFileReference(p, loader).GetAnalyzers(LanguageNames.CSharp))
    .ToImmutableArray();
if (analyzers.IsEmpty)
{
    Console.Error.WriteLine("[real-world] no PgDiscipline or EF Core analyzer among the project's analyzers");
    return 1;
}

var errors = compilation.GetDiagnostics()
    .Where(d => d.Severity == DiagnosticSeverity.Error)
    .GroupBy(d => d.Location.SourceTree?.FilePath ?? "(no file)")
    .Select(g => (File: Relative(g.Key), Count: g.Count(), Ids: string.Join(' ', g.Select(d => d.Id).Distinct().OrderBy(x => x, StringComparer.Ordinal).Take(5))))
    .OrderBy(e => e.File, StringComparer.Ordinal)
    .ToList();
File.WriteAllLines(Path.Combine(outDir, "compile-errors.tsv"), errors.Select(e => $"{e.File}\t{e.Count}\t{e.Ids}"));

var provider = new OptionsProvider(treeConfig, configSet.GlobalConfigOptions);
var times = new List<string>();
var cold = new List<(string Assembly, double Seconds)>();
var warm = new List<(string Assembly, double Seconds)>();
ImmutableArray<Diagnostic> diagnostics = default;
for (var pass = 0; pass < passes; pass++)
{
    // A fresh clone each pass: bound trees are not shared, so no pass profits from another's binding.
    var withAnalyzers = compilation.Clone().WithAnalyzers(
        analyzers,
        new CompilationWithAnalyzersOptions(
            new AnalyzerOptions(additional, provider),
            onAnalyzerException: null,
            // One thread: analyzer times are not inflated by each other's contention (2 cores). PGD_CONCURRENT=1 runs them as a
            // build does, to compare findings.
            concurrentAnalysis: Environment.GetEnvironmentVariable("PGD_CONCURRENT") == "1",
            logAnalyzerExecutionTime: true,
            reportSuppressedDiagnostics: true));
    var wall = Stopwatch.StartNew();
    var result = await withAnalyzers.GetAnalysisResultAsync(CancellationToken.None);
    wall.Stop();
    if (pass == 0)
    {
        diagnostics = result.GetAllDiagnostics();
    }

    foreach (var group in result.AnalyzerTelemetryInfo.GroupBy(kv => kv.Key.GetType().Assembly.GetName().Name ?? "?").OrderBy(g => g.Key, StringComparer.Ordinal))
    {
        var seconds = group.Sum(kv => kv.Value.ExecutionTime.TotalSeconds);
        times.Add(string.Create(CultureInfo.InvariantCulture, $"{(pass == 0 ? "cold" : "warm" + pass)}\t{group.Key}\t{seconds:0.000}"));
        (pass == 0 ? cold : warm).Add((group.Key, seconds));
        foreach (var (analyzer, info) in group.OrderByDescending(kv => kv.Value.ExecutionTime))
        {
            times.Add(string.Create(CultureInfo.InvariantCulture, $"{(pass == 0 ? "cold" : "warm" + pass)}\t{group.Key}/{analyzer.GetType().Name}\t{info.ExecutionTime.TotalSeconds:0.000}"));
        }
    }

    times.Add(string.Create(CultureInfo.InvariantCulture, $"{(pass == 0 ? "cold" : "warm" + pass)}\t(wall clock, all analyzers)\t{wall.Elapsed.TotalSeconds:0.000}"));
}

File.WriteAllLines(Path.Combine(outDir, "analyzer-time.tsv"), times);

var crashes = diagnostics.Count(d => d.Id == "AD0001");
var rows = diagnostics
    .Where(d => (d.Id.StartsWith("PGD", StringComparison.Ordinal) || d.Id == "AD0001")
                && !d.IsSuppressed && d.Severity != DiagnosticSeverity.Hidden)
    .Select(d =>
    {
        var span = d.Location.GetLineSpan();
        var message = d.GetMessage(CultureInfo.InvariantCulture).Replace('\t', ' ').Replace('\n', ' ').Replace('\r', ' ');
        return $"{d.Id}\t{Relative(span.Path)}:{span.StartLinePosition.Line + 1}\t{message}";
    })
    .ToList();
var duplicates = rows.Count - rows.Distinct(StringComparer.Ordinal).Count();
rows = rows.Distinct(StringComparer.Ordinal).OrderBy(r => r, StringComparer.Ordinal).ToList();
File.WriteAllLines(Path.Combine(outDir, "findings.tsv"), rows);

var suppressed = diagnostics.Count(d => d.IsSuppressed);
Console.WriteLine($"[real-world] {trees.Length} files, {references.Length} references, {analyzers.Length} analyzers; "
                  + $"{errors.Sum(e => e.Count)} compile errors in {errors.Count} files (compile-errors.tsv)");
Console.WriteLine("findings: " + (rows.Count == 0
    ? "none"
    : string.Join(", ", rows.GroupBy(r => r[..r.IndexOf('\t', StringComparison.Ordinal)]).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Count()}"))));
Console.WriteLine($"analyzer crashes (AD0001): {crashes}; suppressed by a suppressor: {suppressed}; findings reported twice: {duplicates}");
// One line per analyzer assembly: the cold pass (JIT and first use, as in one command-line build) and the median of the
// warm passes (as in an IDE or a build server that keeps the compiler running).
foreach (var name in cold.Select(c => c.Assembly).Distinct())
{
    var w = warm.Where(x => x.Assembly == name).Select(x => x.Seconds).OrderBy(x => x).ToList();
    var median = w.Count == 0 ? double.NaN : w.Count % 2 == 1 ? w[w.Count / 2] : (w[(w.Count / 2) - 1] + w[w.Count / 2]) / 2;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"analyzer time: {name}: cold {cold.First(c => c.Assembly == name).Seconds:0.000} s, warm median {median:0.000} s ({w.Count} passes)"));
}

return 0;

string Relative(string? path) => path is null || path.Length == 0 ? "(no location)" : path.StartsWith(root, StringComparison.Ordinal) ? Path.GetRelativePath(root, path) : path;

internal sealed class Loader : IAnalyzerAssemblyLoader
{
    private readonly ConcurrentDictionary<string, Assembly> loaded = new(StringComparer.Ordinal);

    public void AddDependencyLocation(string fullPath)
    {
    }

    // LoadFrom resolves an analyzer's own dependencies (PgDiscipline.Sql.dll) from its folder.
    public Assembly LoadFromPath(string fullPath) => loaded.GetOrAdd(fullPath, Assembly.LoadFrom);
}

internal sealed class FileText(string path) : AdditionalText
{
    public override string Path { get; } = path;

    public override SourceText GetText(CancellationToken cancellationToken = default) => SourceText.From(File.ReadAllText(Path));
}

internal sealed class DictionaryOptions(ImmutableDictionary<string, string> values) : AnalyzerConfigOptions
{
    public override bool TryGetValue(string key, out string value) => values.TryGetValue(key, out value!);

    public override IEnumerable<string> Keys => values.Keys;
}

internal sealed class OptionsProvider(
    IReadOnlyDictionary<SyntaxTree, AnalyzerConfigOptionsResult> perTree,
    AnalyzerConfigOptionsResult global) : AnalyzerConfigOptionsProvider
{
    private static readonly DictionaryOptions Empty = new(ImmutableDictionary<string, string>.Empty);

    public override AnalyzerConfigOptions GlobalOptions { get; } = new DictionaryOptions(global.AnalyzerOptions);

    // A tree of a cloned compilation is the same SyntaxTree instance, so the per-tree lookup holds across passes.
    public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) =>
        perTree.TryGetValue(tree, out var r) ? new DictionaryOptions(r.AnalyzerOptions) : GlobalOptions;

    public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => Empty;
}

internal sealed class TreeOptions(
    IReadOnlyDictionary<SyntaxTree, AnalyzerConfigOptionsResult> perTree,
    AnalyzerConfigOptionsResult global) : SyntaxTreeOptionsProvider
{
    public override GeneratedKind IsGenerated(SyntaxTree tree, CancellationToken cancellationToken) => GeneratedKind.Unknown;

    public override bool TryGetDiagnosticValue(SyntaxTree tree, string diagnosticId, CancellationToken cancellationToken, out ReportDiagnostic severity)
    {
        severity = ReportDiagnostic.Default;
        return perTree.TryGetValue(tree, out var r) && r.TreeOptions.TryGetValue(diagnosticId, out severity);
    }

    public override bool TryGetGlobalDiagnosticValue(string diagnosticId, CancellationToken cancellationToken, out ReportDiagnostic severity) =>
        global.TreeOptions.TryGetValue(diagnosticId, out severity);
}
