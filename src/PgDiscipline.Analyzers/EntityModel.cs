using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace PgDiscipline.Analyzers;

/// <summary>
/// The entity types of the compilation's EF Core model, worked out once per compilation (through <see cref="EfContext"/>):
/// the <c>T</c> of every <c>DbSet&lt;T&gt;</c> property (of a DbContext or of an interface such as a Clean Architecture
/// <c>IApplicationDbContext</c>), of every <c>IEntityTypeConfiguration&lt;T&gt;</c>, of <c>Set&lt;T&gt;()</c> and
/// <c>modelBuilder.Entity&lt;T&gt;()</c> in the source, of the DbSets of DbContexts in referenced assemblies built on EF
/// Core, and the types reached from them by navigations (as EF Core discovers them). <see cref="Bases"/> holds their base
/// classes and interfaces, for generic code constrained to them (<c>where T : BaseEntity</c>).
/// </summary>
internal sealed class EntityModel
{
    private static readonly SymbolEqualityComparer Eq = SymbolEqualityComparer.Default;

    private EntityModel(ImmutableHashSet<ITypeSymbol> types, ImmutableHashSet<ITypeSymbol> bases)
    {
        Types = types;
        Bases = bases;
    }

    public ImmutableHashSet<ITypeSymbol> Types { get; }

    public ImmutableHashSet<ITypeSymbol> Bases { get; }

    public static EntityModel Collect(Compilation compilation, EfContext ef)
    {
        var types = new HashSet<ITypeSymbol>(Eq);
        var byName = new Dictionary<string, List<INamedTypeSymbol>>(StringComparer.Ordinal);
        foreach (var type in TypesOf(compilation.Assembly.GlobalNamespace))
        {
            if (!byName.TryGetValue(type.Name, out var named))
            {
                byName[type.Name] = named = new List<INamedTypeSymbol>();
            }

            named.Add(type);
            AddDeclared(type, ef, types);
        }

        // A data layer in another project: its DbContexts' DbSets (only assemblies that are built on EF Core themselves).
        foreach (var assembly in compilation.SourceModule.ReferencedAssemblySymbols)
        {
            if (IsAppAssemblyOnEfCore(assembly))
            {
                foreach (var type in TypesOf(assembly.GlobalNamespace))
                {
                    if (ef.IsDbContext(type))
                    {
                        AddDeclared(type, ef, types);
                    }
                }
            }
        }

        AddGenericUses(compilation, byName, ef, types);

        var bases = new HashSet<ITypeSymbol>(Eq);
        foreach (var type in types)
        {
            for (var b = type.BaseType; b is not null && b.SpecialType == SpecialType.None && !IsFramework(b); b = b.BaseType)
            {
                bases.Add(b.OriginalDefinition);
            }

            foreach (var i in type.AllInterfaces)
            {
                if (!IsFramework(i))
                {
                    bases.Add(i.OriginalDefinition);
                }
            }
        }

        return new EntityModel(types.ToImmutableHashSet<ITypeSymbol>(Eq), bases.ToImmutableHashSet<ITypeSymbol>(Eq));
    }

    /// <summary>DbSet properties and IEntityTypeConfiguration interfaces declared by <paramref name="type"/>.</summary>
    private static void AddDeclared(INamedTypeSymbol type, EfContext ef, HashSet<ITypeSymbol> types)
    {
        foreach (var member in type.GetMembers())
        {
            if (member is IPropertySymbol property && ef.IsDbSet(property.Type) && property.Type is INamedTypeSymbol set)
            {
                AddWithNavigations(types, set.TypeArguments[0], ef);
            }
        }

        if (ef.EntityTypeConfiguration is not null)
        {
            foreach (var i in type.Interfaces)
            {
                if (Eq.Equals(i.OriginalDefinition, ef.EntityTypeConfiguration))
                {
                    AddWithNavigations(types, i.TypeArguments[0], ef);
                }
            }
        }
    }

    /// <summary><c>Set&lt;Order&gt;()</c> and <c>modelBuilder.Entity&lt;Order&gt;(…)</c>: found in the syntax (no semantic model
    /// is bound here) and resolved by the type argument's name among the compilation's own types. A file that does not
    /// contain the text is never parsed further.</summary>
    private static void AddGenericUses(Compilation compilation, Dictionary<string, List<INamedTypeSymbol>> byName, EfContext ef, HashSet<ITypeSymbol> types)
    {
        foreach (var tree in compilation.SyntaxTrees)
        {
            var text = tree.GetText().ToString();
            if (text.IndexOf("Set<", StringComparison.Ordinal) < 0 && text.IndexOf("Entity<", StringComparison.Ordinal) < 0)
            {
                continue;
            }

            // Only where the text names Set or Entity: the token there (whitespace, comments or @ before the < included),
            // not a walk of the whole tree.
            SyntaxNode? root = null;
            foreach (var marker in new[] { "Set", "Entity" })
            {
                for (var at = text.IndexOf(marker, StringComparison.Ordinal); at >= 0; at = text.IndexOf(marker, at + marker.Length, StringComparison.Ordinal))
                {
                    root ??= tree.GetRoot();
                    var token = root.FindToken(at);
                    if (token.ValueText == marker && (token.SpanStart == at || token.SpanStart == at - 1)
                        && token.Parent is GenericNameSyntax { TypeArgumentList.Arguments.Count: 1 } generic
                        && generic.Parent is MemberAccessExpressionSyntax or InvocationExpressionSyntax
                        && RightmostName(generic.TypeArgumentList.Arguments[0]) is { } name
                        && byName.TryGetValue(name, out var candidates))
                    {
                        foreach (var candidate in candidates)
                        {
                            AddWithNavigations(types, candidate, ef);
                        }
                    }
                }
            }
        }
    }

    private static string? RightmostName(TypeSyntax type) => type switch
    {
        IdentifierNameSyntax id => id.Identifier.ValueText,
        QualifiedNameSyntax qualified => qualified.Right.Identifier.ValueText,
        AliasQualifiedNameSyntax alias => alias.Name.Identifier.ValueText,
        _ => null,
    };

    /// <summary>EF Core discovers entity types by following navigations from the DbSet types; so do we.</summary>
    private static void AddWithNavigations(HashSet<ITypeSymbol> types, ITypeSymbol root, EfContext ef)
    {
        var pending = new Stack<ITypeSymbol>();
        pending.Push(root);
        while (pending.Count > 0)
        {
            var type = pending.Pop();
            if (type is not INamedTypeSymbol { TypeKind: TypeKind.Class, SpecialType: SpecialType.None } named
                || (named.ContainingNamespace?.ToDisplayString() ?? "").StartsWith("System", StringComparison.Ordinal)
                || !types.Add(named.OriginalDefinition))
            {
                continue;
            }

            foreach (var property in named.GetMembers().OfType<IPropertySymbol>())
            {
                var target = ef.CollectionElement(property.Type) ?? property.Type;
                if (target is INamedTypeSymbol { TypeKind: TypeKind.Class, SpecialType: SpecialType.None })
                {
                    pending.Push(target);
                }
            }
        }
    }

    private static IEnumerable<INamedTypeSymbol> TypesOf(INamespaceSymbol root)
    {
        var stack = new Stack<INamespaceOrTypeSymbol>();
        stack.Push(root);
        while (stack.Count > 0)
        {
            foreach (var member in stack.Pop().GetMembers())
            {
                if (member is INamespaceSymbol ns)
                {
                    stack.Push(ns);
                }
                else if (member is INamedTypeSymbol type)
                {
                    yield return type;
                    stack.Push(type);
                }
            }
        }
    }

    private static bool IsFramework(ISymbol symbol)
    {
        var ns = symbol.ContainingNamespace?.ToDisplayString() ?? "";
        return ns.StartsWith("System", StringComparison.Ordinal) || ns.StartsWith("Microsoft.", StringComparison.Ordinal)
            || ns == "Microsoft";
    }

    private static bool IsAppAssemblyOnEfCore(IAssemblySymbol assembly)
    {
        var name = assembly.Identity.Name;
        if (name.StartsWith("System", StringComparison.Ordinal) || name.StartsWith("Microsoft", StringComparison.Ordinal)
            || name.StartsWith("Npgsql", StringComparison.Ordinal) || name.StartsWith("PgDiscipline", StringComparison.Ordinal)
            || name is "mscorlib" or "netstandard")
        {
            return false;
        }

        return assembly.Modules.Any(m => m.ReferencedAssemblies.Any(r => r.Name == "Microsoft.EntityFrameworkCore"));
    }
}
