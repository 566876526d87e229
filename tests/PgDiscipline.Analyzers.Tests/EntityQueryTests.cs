using Joins = PgDiscipline.Analyzers.Tests.Verify<PgDiscipline.Analyzers.TooManyJoinsAnalyzer>;
using Cartesian = PgDiscipline.Analyzers.Tests.Verify<PgDiscipline.Analyzers.CartesianIncludeAnalyzer>;
using Loop = PgDiscipline.Analyzers.Tests.Verify<PgDiscipline.Analyzers.QueryInLoopAnalyzer>;

namespace PgDiscipline.Analyzers.Tests;

/// <summary>Issue 33: a query is EF Core's by its type (an <c>IQueryable</c> of an entity type), not by where it starts.</summary>
public sealed class EntityQueryTests
{
    private const string Repository = """

        public interface IRepository<T> where T : class
        {
            IQueryable<T> Query();
            IQueryable<T> Table { get; }
        }

        public abstract class BaseEntity { public int Id { get; set; } }
        public class Product : BaseEntity { public Category Category { get; set; } = null!; public List<Tag> Tags { get; set; } = new(); public List<Review> Reviews { get; set; } = new(); }
        public class Category : BaseEntity { public Category? Parent { get; set; } }
        public class Tag : BaseEntity { }
        public class Review : BaseEntity { public User Author { get; set; } = null!; }
        public class ProductConfiguration : IEntityTypeConfiguration<Product>
        {
            public void Configure(Microsoft.EntityFrameworkCore.Metadata.Builders.EntityTypeBuilder<Product> builder) { }
        }
        """;

    [Fact]
    public Task A_query_from_a_repository_interface_is_counted_like_one_from_a_DbSet() => Joins.AnalyzerAsync(Model.Usings + """
        class C
        {
            // The issue's repository application, minimised: every query starts at IRepository<T>.Query().
            List<Product> M(IRepository<Product> products) => products.Query()
                .Include(p => p.Category).ThenInclude(c => c.Parent).Include(p => p.Reviews).ThenInclude(r => r.Author).{|#0:ToList|}();

            List<Product> Property(IRepository<Product> products) => products.Table
                .Include(p => p.Category).ThenInclude(c => c.Parent).Include(p => p.Reviews).ThenInclude(r => r.Author).{|#1:ToList|}();
        }
        """ + Repository + Model.Entities,
        Joins.Diagnostic("PGD101").WithLocation(0).WithArguments(4, 3, "Category (Include), Category.Parent (Include), Reviews (Include), Reviews.Author (Include)"),
        Joins.Diagnostic("PGD101").WithLocation(1).WithArguments(4, 3, "Category (Include), Category.Parent (Include), Reviews (Include), Reviews.Author (Include)"));

    [Fact]
    public Task Collection_includes_on_a_field_or_parameter_query_are_a_cartesian_product() => Cartesian.AnalyzerAsync(Model.Usings + """
        class C
        {
            private readonly IQueryable<Product> _products = null!;

            Product? Field() => _products.Include(p => p.Tags).Include(p => p.Reviews).{|#0:FirstOrDefault|}();

            // A specification's Apply over the query it is given.
            IQueryable<Product> Apply(IQueryable<Product> query) => query.Include(p => p.Tags).{|#1:Include|}(p => p.Reviews);
        }
        """ + Repository + Model.Entities,
        Cartesian.Diagnostic("PGD102").WithLocation(0).WithArguments(2, "Tags, Reviews"),
        Cartesian.Diagnostic("PGD102").WithLocation(1).WithArguments(2, "Tags, Reviews"));

    [Fact]
    public Task A_lookup_per_imported_row_through_a_repository_is_N_plus_1() => Loop.AnalyzerAsync(Model.Usings + """
        class C
        {
            // The issue's CSV import, minimised: one lookup per row, the row read as string[].
            async Task M(IRepository<Product> products, IEnumerable<string[]> rows, CancellationToken ct)
            {
                foreach (var row in rows)
                {
                    var product = await products.Query().{|#0:FirstOrDefaultAsync|}(p => p.Id == int.Parse(row[0]), ct);
                }
            }
        }
        """ + Repository + Model.Entities,
        Loop.Diagnostic("PGD103").WithLocation(0).WithArguments("FirstOrDefaultAsync", "foreach loop", "load the data for all items in one query"));

    [Fact]
    public Task Generic_code_constrained_to_an_entity_base_is_an_entity_query() => Loop.AnalyzerAsync(Model.Usings + """
        class Repo<T> where T : BaseEntity
        {
            private readonly IQueryable<T> _set = null!;

            async Task M(List<int> ids, CancellationToken ct)
            {
                foreach (var id in ids)
                {
                    await _set.{|#0:AnyAsync|}(e => e.Id == id, ct);
                }
            }
        }
        """ + Repository + Model.Entities,
        Loop.Diagnostic("PGD103").WithLocation(0).WithArguments("AnyAsync", "foreach loop", "load the data for all items in one query"));

    [Fact]
    public Task In_memory_queryables_and_the_IEnumerable_boundary_stay_exact() => Loop.AnalyzerAsync(Model.Usings + """
        class C
        {
            void M(List<Product> cached, IRepository<Product> products, List<int> ids)
            {
                var loaded = products.Query().ToList();
                IEnumerable<Product> enumerable = products.Query();
                foreach (var id in ids)
                {
                    cached.AsQueryable().FirstOrDefault(p => p.Id == id);    // LINQ to Objects
                    loaded.FirstOrDefault(p => p.Id == id);                  // a list
                    enumerable.FirstOrDefault(p => p.Id == id);              // statically IEnumerable: not known to be a query
                    new List<int>().AsQueryable().Count();                   // not an entity
                }
            }
        }
        """ + Repository + Model.Entities);

    [Fact]
    public Task Entity_types_come_from_Set_uses_and_type_configurations_too() => Joins.AnalyzerAsync(Model.Usings + """
        public class Shipment { public int Id { get; set; } public Carrier Carrier { get; set; } = null!; }
        public class Carrier { public int Id { get; set; } public Depot Depot { get; set; } = null!; }
        public class Depot { public int Id { get; set; } public Region Region { get; set; } = null!; }
        public class Region { public int Id { get; set; } public Zone Zone { get; set; } = null!; }
        public class Zone { public int Id { get; set; } public string Name { get; set; } = ""; }

        class C
        {
            // No DbSet<Shipment> property: the type is an entity because the code uses Set<Shipment>().
            IQueryable<Shipment> Shipments(AppDb db) => db.Set<Shipment>();

            List<string> M(IQueryable<Shipment> shipments) => shipments.Select(s => s.Carrier.Depot.Region.Zone.Name).Distinct().{|#0:ToList|}();
            List<Product> N(IQueryable<Product> products) => products.Where(p => p.Category.Parent!.Parent!.Parent!.Id > 0).{|#1:ToList|}();
        }
        """ + Repository + Model.Entities,
        Joins.Diagnostic("PGD101").WithLocation(0).WithArguments(4, 3, "Carrier (navigation), Carrier.Depot (navigation), Carrier.Depot.Region (navigation), Carrier.Depot.Region.Zone (navigation)"),
        Joins.Diagnostic("PGD101").WithLocation(1).WithArguments(4, 3, "Category (navigation), Category.Parent (navigation), Category.Parent.Parent (navigation), Category.Parent.Parent.Parent (navigation)"));

    /// <summary>The entity scan looks where the text names <c>Set</c>: a space, a comment or <c>@</c> before the type
    /// arguments is still the same call (found in review of the scan by text).</summary>
    [Fact]
    public Task A_Set_use_written_with_a_space_or_a_verbatim_name_is_an_entity_use() => Joins.AnalyzerAsync(Model.Usings + """
        public class Shipment { public int Id { get; set; } public Carrier Carrier { get; set; } = null!; }
        public class Carrier { public int Id { get; set; } public Depot Depot { get; set; } = null!; }
        public class Depot { public int Id { get; set; } public Region Region { get; set; } = null!; }
        public class Region { public int Id { get; set; } public Zone Zone { get; set; } = null!; }
        public class Zone { public int Id { get; set; } public string Name { get; set; } = ""; }
        public class Parcel { public int Id { get; set; } public Shipment Shipment { get; set; } = null!; }

        class C
        {
            IQueryable<Shipment> Shipments(AppDb db) => db.Set /* no DbSet property */ <Shipment>();
            IQueryable<Parcel> Parcels(AppDb db) => db.@Set<Parcel>();

            List<string> M(IQueryable<Shipment> shipments) => shipments.Select(s => s.Carrier.Depot.Region.Zone.Name).Distinct().{|#0:ToList|}();
            List<string> N(IQueryable<Parcel> parcels) => parcels.Select(p => p.Shipment.Carrier.Depot.Region.Zone.Name).Distinct().{|#1:ToList|}();
        }
        """ + Repository + Model.Entities,
        Joins.Diagnostic("PGD101").WithLocation(0).WithArguments(4, 3, "Carrier (navigation), Carrier.Depot (navigation), Carrier.Depot.Region (navigation), Carrier.Depot.Region.Zone (navigation)"),
        Joins.Diagnostic("PGD101").WithLocation(1).WithArguments(5, 3, "Shipment (navigation), Shipment.Carrier (navigation), Shipment.Carrier.Depot (navigation), Shipment.Carrier.Depot.Region (navigation), Shipment.Carrier.Depot.Region.Zone (navigation)"));

    [Fact]
    public Task A_query_handed_to_a_projection_library_is_still_the_query() => Loop.AnalyzerAsync(Model.Usings + """
        public interface IMapper { IQueryable<T> ProjectTo<T>(IQueryable source); }
        public class UserDto { public string Name { get; set; } = ""; }

        class C
        {
            // Blogifier's AutoMapper projections, minimised: ProjectTo<Dto>(query) returns a query of DTOs.
            async Task M(AppDb db, IMapper mapper, List<int> ids, CancellationToken ct)
            {
                foreach (var id in ids)
                {
                    var dto = await mapper.ProjectTo<UserDto>(db.Users.Where(u => u.Id == id)).{|#0:FirstOrDefaultAsync|}(ct);
                }
            }
        }
        """ + Model.Entities,
        Loop.Diagnostic("PGD103").WithLocation(0).WithArguments("FirstOrDefaultAsync", "foreach loop", "load the data for all items in one query"));
}
