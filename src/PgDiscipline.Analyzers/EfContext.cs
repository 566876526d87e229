using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace PgDiscipline.Analyzers;

/// <summary>
/// EF Core / Npgsql / PgDiscipline symbols resolved once per compilation (in <c>RegisterCompilationStartAction</c>).
/// <see cref="TryCreate"/> returns null when EF Core is not referenced, so those compilations cost nothing.
/// Symbols are compared with <see cref="SymbolEqualityComparer"/>, never by display string.
/// </summary>
internal sealed partial class EfContext
{
    private static readonly SymbolEqualityComparer Eq = SymbolEqualityComparer.Default;
    private readonly Compilation _compilation;
    private readonly Lazy<EntityModel> _entityTypes;
    private readonly Lazy<bool[]> _settings;

    private EfContext(Compilation compilation, INamedTypeSymbol dbContext)
    {
        _compilation = compilation;
        DbContext = dbContext;
        DbSet = compilation.GetTypeByMetadataName("Microsoft.EntityFrameworkCore.DbSet`1");
        IQueryable = compilation.GetTypeByMetadataName("System.Linq.IQueryable");
        IQueryableOfT = compilation.GetTypeByMetadataName("System.Linq.IQueryable`1");
        IEnumerableOfT = compilation.GetTypeByMetadataName("System.Collections.Generic.IEnumerable`1");
        Queryable = compilation.GetTypeByMetadataName("System.Linq.Queryable");
        Enumerable = compilation.GetTypeByMetadataName("System.Linq.Enumerable");
        EfQueryableExtensions = compilation.GetTypeByMetadataName("Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions");
        RelationalQueryableExtensions = compilation.GetTypeByMetadataName("Microsoft.EntityFrameworkCore.RelationalQueryableExtensions");
        RelationalDatabaseFacadeExtensions = compilation.GetTypeByMetadataName("Microsoft.EntityFrameworkCore.RelationalDatabaseFacadeExtensions");
        Ef = compilation.GetTypeByMetadataName("Microsoft.EntityFrameworkCore.EF");
        ListOfT = compilation.GetTypeByMetadataName("System.Collections.Generic.List`1");
        ExpressionOfT = compilation.GetTypeByMetadataName("System.Linq.Expressions.Expression`1");
        EntityTypeConfiguration = compilation.GetTypeByMetadataName("Microsoft.EntityFrameworkCore.IEntityTypeConfiguration`1");
        String = compilation.GetSpecialType(SpecialType.System_String);
        RoutingExtensions = compilation.GetTypeByMetadataName(RuntimeContract.QueryableExtensionsType);
        PgDisciplineRouting = compilation.GetTypeByMetadataName(RuntimeContract.RoutingScopeType);
        TransactionScope = compilation.GetTypeByMetadataName("System.Transactions.TransactionScope");
        Migration = compilation.GetTypeByMetadataName("Microsoft.EntityFrameworkCore.Migrations.Migration");
        MigrationBuilder = compilation.GetTypeByMetadataName("Microsoft.EntityFrameworkCore.Migrations.MigrationBuilder");
        _entityTypes = new Lazy<EntityModel>(CollectEntityTypes, LazyThreadSafetyMode.ExecutionAndPublication);
        _derived = new Lazy<Dictionary<INamedTypeSymbol, List<INamedTypeSymbol>>>(DerivedTypes, LazyThreadSafetyMode.ExecutionAndPublication);
        _settings = new Lazy<bool[]>(() => SourceMentions(Settings), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public INamedTypeSymbol DbContext { get; }

    public Compilation Compilation => _compilation;

    /// <summary>Per compilation: the queries each query helper returns (<see cref="QueryHelpers"/>).</summary>
    public System.Collections.Concurrent.ConcurrentDictionary<IMethodSymbol, List<QueryVariant>> HelperQueries { get; }
        = new(SymbolEqualityComparer.Default);

    public INamedTypeSymbol? DbSet { get; }

    public INamedTypeSymbol? IQueryable { get; }

    public INamedTypeSymbol? IQueryableOfT { get; }

    public INamedTypeSymbol? IEnumerableOfT { get; }

    public INamedTypeSymbol? Queryable { get; }

    public INamedTypeSymbol? Enumerable { get; }

    public INamedTypeSymbol? EfQueryableExtensions { get; }

    public INamedTypeSymbol? RelationalQueryableExtensions { get; }

    public INamedTypeSymbol? RelationalDatabaseFacadeExtensions { get; }

    public INamedTypeSymbol? Ef { get; }

    public INamedTypeSymbol? ListOfT { get; }

    public INamedTypeSymbol? EntityTypeConfiguration { get; }

    /// <summary><c>System.Linq.Expressions.Expression&lt;TDelegate&gt;</c>: a lambda converted to it is translated, never run.</summary>
    public INamedTypeSymbol? ExpressionOfT { get; }

    /// <summary>Code inside a lambda converted to an expression tree (a <c>Where</c>, <c>Select</c>, … of a query) is
    /// translated into the query's SQL: a <c>Contains</c> or <c>Any</c> there is a subquery, run once with the query, not
    /// per element (found on bitwarden/server: <c>.Where(c =&gt; c.Files.All(f =&gt; ids.Contains(f.Id)))</c>).</summary>
    public bool InsideExpressionTree(IOperation operation)
    {
        for (var current = operation.Parent; current is not null; current = current.Parent)
        {
            if (current is IAnonymousFunctionOperation lambda && IsExpressionTree(lambda))
            {
                return true;
            }

            if (current is ILocalFunctionOperation or IMethodBodyOperation)
            {
                return false;
            }
        }

        return false;
    }

    /// <summary>True when <paramref name="lambda"/> is converted to an expression tree (<c>Expression&lt;Func&lt;…&gt;&gt;</c>), as
    /// the lambdas of <c>Queryable</c> operators are: its body is data for the LINQ provider, not code that runs.</summary>
    public bool IsExpressionTree(IAnonymousFunctionOperation lambda)
    {
        if (ExpressionOfT is null)
        {
            return false;
        }

        for (IOperation? parent = lambda.Parent; parent is IDelegateCreationOperation or IConversionOperation; parent = parent.Parent)
        {
            if (parent.Type is INamedTypeSymbol type && SymbolEqualityComparer.Default.Equals(type.OriginalDefinition, ExpressionOfT))
            {
                return true;
            }
        }

        return lambda.SemanticModel?.GetTypeInfo(lambda.Syntax).ConvertedType is INamedTypeSymbol converted
            && SymbolEqualityComparer.Default.Equals(converted.OriginalDefinition, ExpressionOfT);
    }

    public INamedTypeSymbol String { get; }

    /// <summary>PgDiscipline.EntityFrameworkCore's query extensions, when the runtime package is referenced.</summary>
    public INamedTypeSymbol? RoutingExtensions { get; }

    public INamedTypeSymbol? PgDisciplineRouting { get; }

    public INamedTypeSymbol? TransactionScope { get; }

    public INamedTypeSymbol? Migration { get; }

    public INamedTypeSymbol? MigrationBuilder { get; }

    /// <summary>True when the compilation configures split queries globally (<c>UseQuerySplittingBehavior(QuerySplittingBehavior.SplitQuery)</c>).</summary>
    public bool GlobalSplitQuery => _settings.Value[0];

    /// <summary>True when the compilation configures <c>ReadConsistency.Eventual</c>.</summary>
    public bool EventualConsistencyConfigured => _settings.Value[1];

    /// <summary>True when the compilation configures <c>DefaultRead = ReadRouting.Primary</c>.</summary>
    public bool DefaultReadPrimaryConfigured => _settings.Value[2];

    /// <summary>The xunit.analyzers-style gate: null when EF Core is not referenced. One context per compilation, shared by
    /// every PgDiscipline analyzer: the entity types and the project-wide settings are worked out once, not once per rule
    /// (a compilation is immutable, so what is derived from it can be kept with it).</summary>
    public static EfContext? TryCreate(Compilation compilation) => Contexts.GetValue(compilation, static c =>
    {
        var dbContext = c.GetTypeByMetadataName("Microsoft.EntityFrameworkCore.DbContext");
        return new Holder(dbContext is null ? null : new EfContext(c, dbContext));
    }).Context;

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Compilation, Holder> Contexts = new();

    private sealed class Holder
    {
        public Holder(EfContext? context) => Context = context;

        public EfContext? Context { get; }
    }

    // The project-wide settings, as Type.Member names in code: split queries, eventual consistency, primary by default.
    private static readonly (string Type, string Member)[] Settings =
    [
        ("QuerySplittingBehavior", "SplitQuery"),
        ("ReadConsistency", "Eventual"),
        ("ReadRouting", "Primary"),
    ];

    public bool IsDbContext(ITypeSymbol? type)
    {
        for (var t = type; t is not null; t = t.BaseType)
        {
            if (Eq.Equals(t, DbContext))
            {
                return true;
            }
        }

        return false;
    }

    public bool IsDbSet(ITypeSymbol? type)
        => type is INamedTypeSymbol named && DbSet is not null && Eq.Equals(named.OriginalDefinition, DbSet);

    /// <summary>IQueryable, IQueryable&lt;T&gt;, or a type implementing them (DbSet, IIncludableQueryable, IOrderedQueryable…).</summary>
    public bool IsQueryable(ITypeSymbol? type)
    {
        if (type is null || IQueryable is null)
        {
            return false;
        }

        // Asked for nearly every operand of every invocation: AllInterfaces builds a new array of public symbols per call.
        return _queryable.GetOrAdd(type, t => ImplementsQueryable(t));
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<ITypeSymbol, bool> _queryable = new(SymbolEqualityComparer.Default);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<ITypeSymbol, ITypeSymbol?> _queryElement = new(SymbolEqualityComparer.Default);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<ITypeSymbol, ITypeSymbol?> _collectionElement = new(SymbolEqualityComparer.Default);

    private bool ImplementsQueryable(ITypeSymbol type)
    {
        if (Eq.Equals(type.OriginalDefinition, IQueryableOfT) || Eq.Equals(type, IQueryable))
        {
            return true;
        }

        foreach (var i in type.AllInterfaces)
        {
            if (Eq.Equals(i, IQueryable))
            {
                return true;
            }
        }

        return false;
    }

    public bool IsIn(IMethodSymbol method, INamedTypeSymbol? type)
        => type is not null && Eq.Equals(method.ContainingType, type);

    /// <summary>EF Core relational is referenced (the raw SQL APIs exist).</summary>
    public bool HasRelational => RelationalQueryableExtensions is not null || RelationalDatabaseFacadeExtensions is not null;

    /// <summary>A method of <c>RelationalQueryableExtensions</c> or <c>RelationalDatabaseFacadeExtensions</c> (raw SQL,
    /// ExecuteUpdate/Delete, migrations on Database).</summary>
    public bool IsRelationalExtension(IMethodSymbol method)
        => IsIn(method, RelationalQueryableExtensions) || IsIn(method, RelationalDatabaseFacadeExtensions);

    /// <summary>A method that composes or executes a query: an extension whose <c>this</c> parameter is a queryable.</summary>
    public bool IsQueryOperator(IMethodSymbol method)
    {
        var m = method.ReducedFrom ?? method;
        if (!m.IsExtensionMethod)
        {
            return false;
        }

        // Asked for every invocation of every chain: once per method definition (Parameters builds an array per call), except
        // for a receiver typed by the method's own type parameter, which only the constructed method can answer.
        var known = _queryOperators.GetOrAdd(m.OriginalDefinition, d => d.Parameters.Length == 0 ? (byte)0
            : d.Parameters[0].Type is ITypeParameterSymbol ? (byte)2
            : IsQueryable(d.Parameters[0].Type) ? (byte)1 : (byte)0);
        return known == 1 || (known == 2 && IsQueryable(m.Parameters[0].Type));
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<IMethodSymbol, byte> _queryOperators = new(SymbolEqualityComparer.Default);

    /// <summary>The query a query operator (or Enumerable operator applied to a query) works on.</summary>
    public static IOperation? SourceOf(IInvocationOperation invocation)
    {
        if (invocation.Instance is { } instance)
        {
            return Unwrap(instance);
        }

        return invocation.Arguments.Length > 0 ? Unwrap(invocation.Arguments[0].Value) : null;
    }

    /// <summary>The lambda behind a delegate or expression-tree argument, if any.</summary>
    public static IAnonymousFunctionOperation? Lambda(IOperation operation) => Unwrap(operation) switch
    {
        IDelegateCreationOperation { Target: IAnonymousFunctionOperation lambda } => lambda,
        IAnonymousFunctionOperation lambda => lambda,
        _ => null,
    };

    public static IOperation Unwrap(IOperation operation)
    {
        // Conversions, and query syntax (`from … select …` is the invocation chain the compiler translates it to).
        while (operation is IConversionOperation or ITranslatedQueryOperation)
        {
            operation = operation is IConversionOperation conversion ? conversion.Operand : ((ITranslatedQueryOperation)operation).Operation;
        }

        return operation;
    }

    /// <summary>Entity types: those of <see cref="EntityModel"/> (DbSet properties, <c>Set&lt;T&gt;()</c>, <c>Entity&lt;T&gt;()</c>,
    /// <c>IEntityTypeConfiguration&lt;T&gt;</c>) and their subclasses.</summary>
    public bool IsEntity(ITypeSymbol? type)
    {
        if (type is not INamedTypeSymbol named || named.TypeKind != TypeKind.Class || named.SpecialType != SpecialType.None)
        {
            return false;
        }

        var model = _entityTypes.Value;
        for (var t = named; t is not null && t.SpecialType == SpecialType.None; t = t.BaseType)
        {
            if (model.Types.Contains(t.OriginalDefinition))
            {
                return true;
            }
        }

        // Entities of a context in another assembly: a class outside System.* with an Id / <Name>Id property.
        if (model.Types.Count > 0)
        {
            return false;
        }

        var ns = named.ContainingNamespace?.ToDisplayString() ?? "";
        return !ns.StartsWith("System", StringComparison.Ordinal) && !ns.StartsWith("Microsoft", StringComparison.Ordinal)
            && named.GetMembers().Any(m => m is IPropertySymbol p && (p.Name == "Id" || p.Name == named.Name + "Id"));
    }

    /// <summary>The <c>T</c> of <c>IQueryable&lt;T&gt;</c> when <paramref name="type"/> is or implements it.</summary>
    public ITypeSymbol? QueryElement(ITypeSymbol? type)
        => type is null || IQueryableOfT is null ? null : _queryElement.GetOrAdd(type, t => FindQueryElement(t));

    private ITypeSymbol? FindQueryElement(ITypeSymbol type)
    {
        if (type is INamedTypeSymbol named && Eq.Equals(named.OriginalDefinition, IQueryableOfT))
        {
            return named.TypeArguments[0];
        }

        foreach (var i in type.AllInterfaces)
        {
            if (Eq.Equals(i.OriginalDefinition, IQueryableOfT))
            {
                return i.TypeArguments[0];
            }
        }

        return null;
    }

    /// <summary>An EF Core query by its type, wherever it comes from (a repository, a specification, a helper, a parameter):
    /// an <c>IQueryable&lt;T&gt;</c> whose <c>T</c> is an entity type, or a type parameter constrained to one (or to a base
    /// class or interface of one: <c>where T : BaseEntity</c>).</summary>
    public bool IsEntityQuery(ITypeSymbol? type)
    {
        var element = QueryElement(type);
        if (element is ITypeParameterSymbol parameter)
        {
            var bases = _entityTypes.Value.Bases;
            return parameter.ConstraintTypes.Any(c => IsEntity(c) || bases.Contains(c.OriginalDefinition));
        }

        return element is not null && IsEntity(element);
    }

    /// <summary>The element type when <paramref name="type"/> is a collection of entities (a collection navigation).</summary>
    public ITypeSymbol? CollectionElement(ITypeSymbol? type)
        => type is null || type.SpecialType == SpecialType.System_String || IEnumerableOfT is null
            ? null
            : _collectionElement.GetOrAdd(type, t => FindCollectionElement(t));

    private ITypeSymbol? FindCollectionElement(ITypeSymbol type)
    {
        foreach (var i in type is INamedTypeSymbol n && Eq.Equals(n.OriginalDefinition, IEnumerableOfT) ? new[] { n } : type.AllInterfaces.ToArray())
        {
            if (Eq.Equals(i.OriginalDefinition, IEnumerableOfT) && i.TypeArguments.Length == 1)
            {
                return i.TypeArguments[0];
            }
        }

        return null;
    }

    private EntityModel CollectEntityTypes() => EntityModel.Collect(_compilation, this);

    /// <summary>For each <c>Type.Member</c> setting, whether some source file's code (not a comment or a string) names it,
    /// e.g. <c>QuerySplittingBehavior.SplitQuery</c>. One pass over the sources for all settings: a file's text is searched
    /// first, so a file that mentions none is never walked; a match must then be a member access in the syntax tree.
    /// Symbols are not bound here: an analyzer must not ask the compilation for semantic models (RS1030).</summary>
    private bool[] SourceMentions((string Type, string Member)[] settings)
    {
        var found = new bool[settings.Length];
        foreach (var tree in _compilation.SyntaxTrees)
        {
            var text = tree.GetText().ToString();
            var candidates = new List<int>();
            for (var i = 0; i < settings.Length; i++)
            {
                if (!found[i] && text.IndexOf(settings[i].Member, StringComparison.Ordinal) >= 0)
                {
                    candidates.Add(i);
                }
            }

            if (candidates.Count == 0)
            {
                continue;
            }

            // Only where the text names the member: the token there, not a walk of the whole tree.
            var root = tree.GetRoot();
            foreach (var i in candidates)
            {
                var member = settings[i].Member;
                for (var at = text.IndexOf(member, StringComparison.Ordinal); at >= 0 && !found[i]; at = text.IndexOf(member, at + member.Length, StringComparison.Ordinal))
                {
                    var token = root.FindToken(at);
                    if ((token.SpanStart != at && token.SpanStart != at - 1) || token.ValueText != member // @member too
                        || token.Parent is not Microsoft.CodeAnalysis.CSharp.Syntax.SimpleNameSyntax name
                        || name.Parent is not Microsoft.CodeAnalysis.CSharp.Syntax.MemberAccessExpressionSyntax access || access.Name != name)
                    {
                        continue;
                    }

                    var typeName = access.Expression switch
                    {
                        Microsoft.CodeAnalysis.CSharp.Syntax.IdentifierNameSyntax id => id.Identifier.ValueText,
                        Microsoft.CodeAnalysis.CSharp.Syntax.MemberAccessExpressionSyntax qualified => qualified.Name.Identifier.ValueText,
                        Microsoft.CodeAnalysis.CSharp.Syntax.QualifiedNameSyntax qualified => qualified.Right.Identifier.ValueText,
                        _ => null,
                    };
                    found[i] = typeName == settings[i].Type;
                }
            }

            if (found.All(f => f))
            {
                break;
            }
        }

        return found;
    }
}
