using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace PgDiscipline.Analyzers;

/// <summary>Implementations of interface and abstract/virtual methods among the compilation's own classes (a repository
/// interface called in a loop runs what its implementation runs).</summary>
internal sealed partial class EfContext
{
    /// <summary>The source methods that implement or override <paramref name="method"/> (an interface member or an abstract or
    /// virtual method: <c>IRepository&lt;T&gt;.GetByKey</c> called in a loop runs what its implementation runs). Worked out
    /// once per method per compilation, from one walk of the compilation's types.</summary>
    public ImmutableArray<IMethodSymbol> Implementations(IMethodSymbol method)
    {
        method = method.OriginalDefinition;
        if (!(method.IsAbstract || method.IsVirtual) || method.ContainingType is null)
        {
            return ImmutableArray<IMethodSymbol>.Empty;
        }

        return _implementations.GetOrAdd(method, m =>
        {
            var found = ImmutableArray.CreateBuilder<IMethodSymbol>();
            if (!_derived.Value.TryGetValue(m.ContainingType.OriginalDefinition, out var types))
            {
                return found.ToImmutable();
            }

            foreach (var type in types)
            {
                var implementation = m.ContainingType.TypeKind == TypeKind.Interface
                    ? type.AllInterfaces.Where(i => Eq.Equals(i.OriginalDefinition, m.ContainingType.OriginalDefinition))
                        .SelectMany(i => i.GetMembers(m.Name)).Where(member => Eq.Equals(member.OriginalDefinition, m))
                        .Select(member => type.FindImplementationForInterfaceMember(member) as IMethodSymbol).FirstOrDefault(x => x is not null)
                    : type.GetMembers(m.Name).OfType<IMethodSymbol>().FirstOrDefault(o => Overrides(o, m));
                if (implementation is { IsAbstract: false, DeclaringSyntaxReferences.Length: > 0 } && found.Count < 8)
                {
                    found.Add(implementation.OriginalDefinition);
                }
            }

            return found.Distinct<IMethodSymbol>(Eq).ToImmutableArray();
        });
    }

    private static bool Overrides(IMethodSymbol candidate, IMethodSymbol method)
    {
        for (var o = candidate.OverriddenMethod; o is not null; o = o.OverriddenMethod)
        {
            if (Eq.Equals(o.OriginalDefinition, method))
            {
                return true;
            }
        }

        return false;
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<IMethodSymbol, ImmutableArray<IMethodSymbol>> _implementations = new(SymbolEqualityComparer.Default);

    private readonly Lazy<Dictionary<INamedTypeSymbol, List<INamedTypeSymbol>>> _derived;

    /// <summary>Each interface and base class of the compilation's classes, with the classes that implement or extend it.</summary>
    private Dictionary<INamedTypeSymbol, List<INamedTypeSymbol>> DerivedTypes()
    {
        var map = new Dictionary<INamedTypeSymbol, List<INamedTypeSymbol>>(SymbolEqualityComparer.Default);
        void Add(INamedTypeSymbol key, INamedTypeSymbol type)
        {
            if (!map.TryGetValue(key, out var list))
            {
                map[key] = list = new List<INamedTypeSymbol>();
            }

            list.Add(type);
        }

        var stack = new Stack<INamespaceOrTypeSymbol>();
        stack.Push(_compilation.Assembly.GlobalNamespace);
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
                    stack.Push(type);
                    if (type.TypeKind != TypeKind.Class)
                    {
                        continue;
                    }

                    foreach (var i in type.AllInterfaces)
                    {
                        Add(i.OriginalDefinition, type);
                    }

                    for (var b = type.BaseType; b is not null && b.SpecialType == SpecialType.None; b = b.BaseType)
                    {
                        Add(b.OriginalDefinition, type);
                    }
                }
            }
        }

        return map;
    }

    /// <summary>Whether <paramref name="method"/> can reach the database at all: a parameter, or a field, property or
    /// constructor parameter of its class (or a base class) that is a DbContext, a DbSet, an entity query, a context
    /// factory, or a service with members that return entities or entity queries (a repository). API clients and other
    /// services are not, so their bodies are never bound when PGD103 looks for queries in helpers.</summary>
    public bool CouldTouchDatabase(IMethodSymbol method)
    {
        if (method.Parameters.Any(p => IsDataAccess(p.Type)))
        {
            return true;
        }

        for (var type = method.ContainingType; type is not null && type.SpecialType == SpecialType.None; type = type.BaseType)
        {
            if (_dataTypes.GetOrAdd(type.OriginalDefinition, t => DeclaresDataAccess((INamedTypeSymbol)t)))
            {
                return true;
            }
        }

        return false;
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<ITypeSymbol, bool> _dataTypes = new(SymbolEqualityComparer.Default);

    private bool DeclaresDataAccess(INamedTypeSymbol type) => DeclaresDataAccess(type, shallow: false);

    /// <summary>Shallow: only direct data access (a DbContext, DbSet, entity query or context factory), so that looking
    /// through a service's implementations does not recurse.</summary>
    private bool DeclaresDataAccess(INamedTypeSymbol type, bool shallow)
    {
        foreach (var member in type.GetMembers())
        {
            var memberType = member switch
            {
                IFieldSymbol f => f.Type,
                IPropertySymbol p => p.Type,
                _ => null,
            };
            if (memberType is not null && (IsDataAccess(memberType) || (!shallow && IsDataService(memberType))))
            {
                return true;
            }

            if (member is IMethodSymbol { MethodKind: MethodKind.Constructor } constructor
                && constructor.Parameters.Any(p => IsDataAccess(p.Type) || (!shallow && IsDataService(p.Type))))
            {
                return true;
            }
        }

        return false;
    }

    private bool IsDataAccess(ITypeSymbol type)
        => IsDbContext(type) || IsDbSet(type) || IsEntityQuery(type)
            || (type is INamedTypeSymbol { Name: "IDbContextFactory" or "PooledDbContextFactory" } factory
                && (factory.ContainingNamespace?.ToDisplayString() ?? "").StartsWith("Microsoft.EntityFrameworkCore", StringComparison.Ordinal));

    private readonly System.Collections.Concurrent.ConcurrentDictionary<ITypeSymbol, bool> _services = new(SymbolEqualityComparer.Default);

    /// <summary>A repository (its members return entities or entity queries), or an interface or base class whose
    /// implementations in the compilation hold a DbContext (Blogifier's <c>IStorageProvider</c>, which returns DTOs).</summary>
    private bool IsDataService(ITypeSymbol type)
        => _services.GetOrAdd(type.OriginalDefinition, t => ReturnsEntities(t)
            || (t is INamedTypeSymbol named && _derived.Value.TryGetValue(named, out var implementations)
                && implementations.Take(8).Any(i => DeclaresDataAccess(i, shallow: true))));

    /// <summary>A service whose methods or properties return entities, collections of entities or entity queries
    /// (possibly in a Task): a repository.</summary>
    private bool ReturnsEntities(ITypeSymbol type)
    {
        if (type is not INamedTypeSymbol named || named.SpecialType != SpecialType.None || IsDbContext(named)
            || (named.ContainingNamespace?.ToDisplayString() ?? "").StartsWith("System", StringComparison.Ordinal))
        {
            return false;
        }

        foreach (var member in named.GetMembers().Concat(named.AllInterfaces.SelectMany(i => i.GetMembers())))
        {
            var returned = member switch
            {
                IMethodSymbol { MethodKind: MethodKind.Ordinary } m => m.ReturnType,
                IPropertySymbol p => p.Type,
                _ => null,
            };
            if (returned is INamedTypeSymbol { IsGenericType: true, Name: "Task" or "ValueTask" } task)
            {
                returned = task.TypeArguments[0];
            }

            if (returned is not null && (IsEntity(returned) || IsEntityQuery(returned) || IsDbSet(returned) || IsEntity(CollectionElement(returned))))
            {
                return true;
            }
        }

        return false;
    }
}
