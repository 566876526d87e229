// Stand-ins for the app types bitwarden/server's util/PostgresMigrations/Migrations name (build/real-migrations.sh).
// SqlResource and GetEmbeddedResourceContentsAsync run embedded .psql scripts: the analyzer cannot read those (their
// text is not in the C#), so docs/real-world.md lints the HelperScripts folder with `pgdiscipline lint` instead.
using Microsoft.EntityFrameworkCore.Migrations;

namespace Bit.Core.Utilities
{
    public static class CoreHelpers
    {
        public static string GetEmbeddedResourceContentsAsync(string resourceName) => resourceName;
    }
}

namespace Bit.EfShared
{
    public static class MigrationBuilderStubs
    {
        public static void SqlResource(this MigrationBuilder builder, string resourceName) { }
    }
}

namespace Bit.Infrastructure.EntityFramework.Repositories
{
    public class DatabaseContextStub { }
}
