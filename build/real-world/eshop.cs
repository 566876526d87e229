// Stand-ins for the app types dotnet/eShop's migrations name (build/real-migrations.sh).
namespace Pgvector
{
    public class Vector { }
}

namespace eShop.Ordering.Infrastructure { public class OrderingStub { } }

namespace eShop.Catalog.API.Infrastructure { public class CatalogStub { } }

namespace eShop.Identity.API.Data { public class IdentityStub { } }

namespace Webhooks.API.Infrastructure { public class WebhooksStub { } }
