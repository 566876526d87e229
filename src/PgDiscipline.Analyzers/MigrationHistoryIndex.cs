using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using PgDiscipline.Sql.Migrations;

namespace PgDiscipline.Analyzers;

/// <summary>
/// The schema history of a compilation's migrations, in the order EF Core applies them (by migration id), so a migration
/// is judged knowing what the earlier ones created: a raw <c>Sql("ALTER TABLE … TYPE …")</c> knows the column's type from
/// their <c>CreateTable</c>/<c>AddColumn</c>/<c>AlterColumn</c> calls and raw SQL. Built once per compilation, and only when
/// a migration needs it (one with raw SQL, or an AlterColumn that does not give the old type).
/// </summary>
internal sealed class MigrationHistoryIndex
{
    private readonly Compilation _compilation;
    private readonly EfContext _ef;
    private Dictionary<INamedTypeSymbol, MigrationLintState>? _before;

    public MigrationHistoryIndex(Compilation compilation, EfContext ef)
    {
        _compilation = compilation;
        _ef = ef;
    }

    /// <summary>The state before <paramref name="migration"/> runs: what every earlier migration left (tables they created
    /// count as existing).</summary>
    public MigrationLintState Before(INamedTypeSymbol migration, CancellationToken cancellationToken)
    {
        var before = LazyInitializer.EnsureInitialized(ref _before, () => Build(cancellationToken))!;
        return before.TryGetValue(migration, out var state) ? state.ForNextScript(inTransaction: true) : new MigrationLintState();
    }

    /// <summary>The id EF Core orders migrations by (<c>[Migration("20240101000000_Name")]</c>), or the class name.</summary>
    public static string Id(INamedTypeSymbol migration)
        => migration.GetAttributes().FirstOrDefault(a => a.AttributeClass?.Name == "MigrationAttribute")?.ConstructorArguments.FirstOrDefault().Value as string
            ?? migration.Name;

    private Dictionary<INamedTypeSymbol, MigrationLintState> Build(CancellationToken cancellationToken)
    {
        var migrations = new List<(string Id, INamedTypeSymbol Type, IOperation Body)>();
        foreach (var tree in _compilation.SyntaxTrees)
        {
            var root = tree.GetRoot(cancellationToken);
            var ups = root.DescendantNodes().OfType<MethodDeclarationSyntax>().Where(m => m.Identifier.ValueText == "Up" && m.ParameterList.Parameters.Count == 1).ToList();
            if (ups.Count == 0)
            {
                continue;
            }

            // The other migrations' Up methods are bound here once per compilation, and only for compilations whose
            // migrations need their history (see the class comment).
#pragma warning disable RS1030 // Do not invoke Compilation.GetSemanticModel(): there is no other way to read other files' operations
            var model = _compilation.GetSemanticModel(tree);
#pragma warning restore RS1030
            foreach (var up in ups)
            {
                if (model.GetDeclaredSymbol(up, cancellationToken) is { ContainingType: { } type } && MigrationSafetyAnalyzer.Derives(type, _ef.Migration!)
                    && model.GetOperation(up, cancellationToken) is { } body)
                {
                    migrations.Add((Id(type), type, body));
                }
            }
        }

        var result = new Dictionary<INamedTypeSymbol, MigrationLintState>(SymbolEqualityComparer.Default);
        var state = new MigrationLintState();
        var ops = new List<SchemaOperation>();
        foreach (var migration in migrations.OrderBy(m => m.Id, StringComparer.Ordinal))
        {
            result[migration.Type] = state;
            state = state.ForNextScript(inTransaction: true);
            foreach (var call in MigrationSafetyAnalyzer.Calls(migration.Body, _ef))
            {
                if (call.TargetMethod.Name == "Sql")
                {
                    if (MigrationCall.Str(call, "sql") is { } sql)
                    {
                        _ = new ScriptReader(sql, RecordOptions, new MigrationRuleEngine(RecordOptions, state, (_, _, _) => { })) { RecordOnly = true }.Read();
                    }

                    continue;
                }

                ops.Clear();
                MigrationBuilderReader.Read(call, 0, ops);
                foreach (var op in ops)
                {
                    MigrationRuleEngine.Record(state, op);
                }
            }
        }

        return result;
    }

    private static readonly MigrationLintOptions RecordOptions = new();
}
