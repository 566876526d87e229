using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using PgDiscipline.Sql.Migrations;

namespace PgDiscipline.Analyzers;

/// <summary>
/// The migration rules on EF Core migrations. Each <c>MigrationBuilder</c> call of an <c>Up</c> method, in order, becomes
/// schema operations (<see cref="MigrationBuilderReader"/>; raw <c>Sql(…)</c> through the SQL reader), and the same rule
/// engine the lint and the runtime guard use judges them — no rule is decided here. "Existing table" means not created
/// earlier in this <c>Up</c>; column types and the rest of the schema history come from the migrations before it
/// (<see cref="MigrationHistoryIndex"/>). <c>[AllowUnsafeMigration("PGDnnn", Reason = "…")]</c> on the class allows a rule;
/// an empty reason does not.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class MigrationSafetyAnalyzer : EfCoreAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => MigrationDescriptors.All;

    /// <summary>Migrations are analysed even when their file says <c>// &lt;auto-generated /&gt;</c>: some apps' scaffolded
    /// migrations carry that header, and they are exactly what this rule is about.</summary>
    internal override GeneratedCodeAnalysisFlags GeneratedCode => GeneratedCodeAnalysisFlags.Analyze | GeneratedCodeAnalysisFlags.ReportDiagnostics;

    /// <inheritdoc />
    internal override bool IsApplicable(EfContext ef) => ef.Migration is not null && ef.MigrationBuilder is not null;

    /// <inheritdoc />
    internal override void RegisterActions(CompilationStartAnalysisContext context, EfContext ef)
    {
        var history = new MigrationHistoryIndex(context.Compilation, ef);
        context.RegisterOperationBlockAction(c => AnalyzeUp(c, ef, history));
    }

    /// <summary>The rules the analyzer runs: every migration rule (Roslyn drops the findings of rules off by default or by
    /// configuration), except the timeouts the runtime guard sets on every migration statement itself.</summary>
    internal static readonly MigrationLintOptions Options = CreateOptions();

    private static MigrationLintOptions CreateOptions()
    {
        var options = new MigrationLintOptions { RequireLockTimeout = false };
        foreach (var rule in MigrationRules.All)
        {
            options.EnabledRules.Add(rule.Id);
        }

        options.ExcludedRules.Add(RuleIdentifiers.DdlWithoutLockTimeout);
        options.ExcludedRules.Add(RuleIdentifiers.StatementWithoutTimeout);
        return options;
    }

    private static void AnalyzeUp(OperationBlockAnalysisContext context, EfContext ef, MigrationHistoryIndex history)
    {
        if (context.OwningSymbol is not IMethodSymbol { Name: "Up" } method || !Derives(method.ContainingType, ef.Migration!))
        {
            return;
        }

        var allowed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var attribute in method.ContainingType.GetAttributes())
        {
            if (attribute.AttributeClass?.Name == "AllowUnsafeMigrationAttribute" && attribute.ConstructorArguments.Length == 1
                && attribute.ConstructorArguments[0].Value is string rule
                && attribute.NamedArguments.Any(n => n.Key == "Reason" && n.Value.Value is string r && !string.IsNullOrWhiteSpace(r)))
            {
                allowed.Add(rule);
            }
        }

        var calls = context.OperationBlocks.SelectMany(b => Calls(b, ef)).OrderBy(i => i.Syntax.SpanStart).ToList();
        var state = NeedsHistory(calls) ? history.Before(method.ContainingType, context.CancellationToken) : new MigrationLintState();
        var tree = context.OperationBlocks.FirstOrDefault()?.Syntax.SyntaxTree;
        var options = Options;
        if (tree is not null && AnalyzerOptionsReader.GetBool(context.Options, tree, RuleIdentifiers.CreateTableClosed, "enabled", false))
        {
            options = CreateOptions();
            options.ClosedToNewTables = true;
        }

        state.AssumeLockTimeout = true;
        IInvocationOperation current = null!;
        void Report(string id, string message, bool raw)
        {
            if (!allowed.Contains(id) && (raw ? MigrationDescriptors.RawSql : MigrationDescriptors.Typed).TryGetValue(id, out var descriptor))
            {
                context.ReportDiagnostic(Diagnostic.Create(descriptor, MigrationCall.NameLocation(current), message));
            }
        }

        var engine = new MigrationRuleEngine(options, state, (rule, _, message) => Report(rule.Id, message, raw: false));
        var ops = new List<SchemaOperation>();
        for (var i = 0; i < calls.Count; i++)
        {
            current = calls[i];
            if (current.TargetMethod.Name == "Sql")
            {
                if (MigrationCall.Str(current, "sql") is { } sql)
                {
                    // EF Core runs a suppressTransaction command outside the migration's transaction.
                    state.InTransaction = MigrationCall.Bool(current, "suppressTransaction") != true;
                    foreach (var finding in new ScriptReader(sql, options, engine).Read())
                    {
                        Report(finding.RuleId, finding.Message, raw: true);
                    }
                }

                continue;
            }

            ops.Clear();
            MigrationBuilderReader.Read(current, i, ops);
            // Npgsql runs CREATE INDEX CONCURRENTLY outside the migration's transaction; everything else runs inside it.
            state.InTransaction = !(ops.Count > 0 && ops[0] is CreateIndex { Concurrently: true });
            foreach (var op in ops)
            {
                engine.Apply(op);
            }
        }
    }

    /// <summary>Raw SQL, or an AlterColumn without the old type, is judged with what earlier migrations declared.</summary>
    private static bool NeedsHistory(List<IInvocationOperation> calls)
        => calls.Any(c => c.TargetMethod.Name == "Sql" || (c.TargetMethod.Name == "AlterColumn" && MigrationCall.Str(c, "oldType") is null));

    /// <summary>The <c>MigrationBuilder</c> calls of a method body, in source order.</summary>
    internal static IEnumerable<IInvocationOperation> Calls(IOperation body, EfContext ef)
        => body.DescendantsAndSelf().OfType<IInvocationOperation>()
            .Where(i => SymbolEqualityComparer.Default.Equals(i.TargetMethod.ContainingType, ef.MigrationBuilder))
            .OrderBy(i => i.Syntax.SpanStart);

    internal static bool Derives(INamedTypeSymbol? type, INamedTypeSymbol baseType)
    {
        for (var t = type?.BaseType; t is not null; t = t.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(t, baseType))
            {
                return true;
            }
        }

        return false;
    }
}
