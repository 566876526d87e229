#!/usr/bin/env bash
# Runs PgDiscipline's migration analyzers, as packed in the PgDiscipline.Analyzers package, over a folder of someone else's
# EF Core migrations, and lists every migration operation of every Up() with the findings on it — the raw material for
# hand-judging precision and misses (docs/real-world.md). Designer files and model snapshots are left out; a stub file
# supplies the few types the migrations name from their app. Nothing of the folder is copied into this repository.
#
#   build/real-migrations.sh NAME DIR [STUBS.cs]
#     NAME   a label (artifacts/real-world/NAME gets the generated project, the SARIF log and operations.tsv)
#     DIR    the folder with the migrations (*.cs)
#     STUBS  optional C# file with stand-ins for the app types the migrations use (build/real-world/*.cs)
#
# Not part of build/test.sh: it needs a checkout of another project. docs/real-world.md says how to fetch each one.
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NAME="${1:?usage: build/real-migrations.sh NAME DIR [STUBS.cs]}"
SRC="$(cd "${2:?usage: build/real-migrations.sh NAME DIR [STUBS.cs]}" && pwd)"
STUBS="${3:-}"
[[ -z "$STUBS" ]] || STUBS="$(cd "$(dirname "$STUBS")" && pwd)/$(basename "$STUBS")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

OUT="$REPO_ROOT/artifacts/real-world/$NAME"
FEED="$REPO_ROOT/artifacts/real-world/feed"
rm -rf "$OUT"; mkdir -p "$OUT" "$FEED"
version_of() { sed -n "s/.*PackageVersion Include=\"$1\" Version=\"\([^\"]*\)\".*/\1/p" "$REPO_ROOT/Directory.Packages.props"; }

# The analyzer package exactly as users get it; a fresh version each run so no stale copy comes from the NuGet cache.
VERSION="0.0.0-rw$(date +%s)"
dotnet build "$REPO_ROOT/src/PgDiscipline.Analyzers.Package" -c Release -nologo -v:q -clp:ErrorsOnly >/dev/null
dotnet pack "$REPO_ROOT/src/PgDiscipline.Analyzers.Package" -c Release --no-build -nologo -v:q -o "$FEED" \
  "-p:PackageVersion=$VERSION" "-p:NuspecOutputPath=$OUT/nuspec/" >/dev/null

# Keep the repository's MSBuild settings (warnings as errors, central versions) out of the generated project.
echo '<Project />' > "$OUT/Directory.Build.props"
echo '<Project />' > "$OUT/Directory.Build.targets"
echo '<Project><PropertyGroup><ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally></PropertyGroup></Project>' > "$OUT/Directory.Packages.props"
cat > "$OUT/nuget.config" <<XML
<configuration>
  <packageSources>
    <clear />
    <add key="local" value="$FEED" />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
  </packageSources>
</configuration>
XML
cat > "$OUT/RealMigrations.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>net10.0</TargetFramework>
    <ImplicitUsings>enable</ImplicitUsings>
    <Nullable>disable</Nullable>
    <EnableDefaultCompileItems>false</EnableDefaultCompileItems>
    <TreatWarningsAsErrors>false</TreatWarningsAsErrors>
    <!-- Their code, not ours: only PgDiscipline's findings matter, and errors must not stop the analyzers. -->
    <NoWarn>\$(NoWarn);CS1591;CS8618;CS8625;CS0618;CS8981</NoWarn>
    <ErrorLog>$OUT/findings.sarif,version=2.1</ErrorLog>
    <ReportAnalyzer>true</ReportAnalyzer>
    <!-- Every PGD finding is reported, whatever its severity, without failing the build. -->
    <WarningsNotAsErrors>PGD301;PGD302;PGD303;PGD304;PGD305;PGD306;PGD307;PGD308;PGD309;PGD310;PGD311;PGD312;PGD313;PGD314</WarningsNotAsErrors>
  </PropertyGroup>
  <ItemGroup>
    <Compile Include="$SRC/**/*.cs" Exclude="$SRC/**/*.Designer.cs;$SRC/**/*ModelSnapshot.cs;$SRC/**/obj/**;$SRC/**/bin/**" />
$( [[ -n "$STUBS" ]] && echo "    <Compile Include=\"$STUBS\" />" )
    <PackageReference Include="Npgsql.EntityFrameworkCore.PostgreSQL" Version="$(version_of Npgsql.EntityFrameworkCore.PostgreSQL)" />
    <PackageReference Include="PgDiscipline.Analyzers" Version="$VERSION" PrivateAssets="all" />
  </ItemGroup>
</Project>
XML
# PGD3xx rewrites and long locks are errors by default: lower them to warnings for this survey so the compiler reports
# all of them and the build completes (the severity itself is tested in the repository's own tests).
cat > "$OUT/.editorconfig" <<'CFG'
root = true
[*.cs]
dotnet_analyzer_diagnostic.category-PgDiscipline.Migrations.severity = warning
CFG

set +e
dotnet build "$OUT/RealMigrations.csproj" -c Release -nologo -v:n --configfile "$OUT/nuget.config" > "$OUT/build.log" 2>&1
rc=$?
set -e
if ! [[ -s "$OUT/findings.sarif" ]]; then
  grep -E " error " "$OUT/build.log" | sort -u | head -20 >&2
  echo "[real-migrations] no SARIF log was written (exit $rc): see $OUT/build.log" >&2
  exit 1
fi
errors=$(grep -cE "error CS[0-9]+" "$OUT/build.log" || true)
(( errors == 0 )) || { echo "[real-migrations] the migrations did not compile ($errors compiler errors; add stubs):" >&2; grep -E "error CS[0-9]+" "$OUT/build.log" | sort -u | head -20 >&2; exit 1; }
crashes=$(grep -cE "AD0001" "$OUT/build.log" || true)

python3 "$REPO_ROOT/build/real-world/operations.py" "$SRC" "$OUT/findings.sarif" > "$OUT/operations.tsv"
echo "[real-migrations] $NAME: $(git -C "$SRC" rev-parse HEAD 2>/dev/null || echo 'commit: see docs/real-world.md')"
python3 "$REPO_ROOT/build/real-world/operations.py" --summary "$SRC" "$OUT/findings.sarif"
echo "analyzer crashes (AD0001): $crashes"
grep -E "PgDiscipline.Analyzers|Microsoft.EntityFrameworkCore.Analyzers" "$OUT/build.log" | grep -E "^\s+[0-9<]" | sed 's/^/  analyzer time: /' | head -4 || true
echo "operations: $OUT/operations.tsv"
