#!/usr/bin/env bash
# Runs PgDiscipline's query and routing analyzers, as packed in the PgDiscipline.Analyzers package, over someone else's
# EF Core project, built the way its authors build it (their csproj, their package versions, restored from NuGet), and
# prints the findings per rule, analyzer crashes (AD0001) and analyzer time next to EF Core's own analyzers. The raw
# material for hand-judging precision (docs/real-world.md). Nothing of the project is copied into this repository.
#
#   build/real-world.sh NAME PROJECT.csproj [TFM]
#     NAME     a label: artifacts/real-world/NAME gets the SARIF log, the build log and findings.tsv
#     PROJECT  the project to build (from a checkout made with git archive, see docs/real-world.md)
#     TFM      the target framework to build when the project has several (default: its first)
#
# The package is added through MSBuild's CustomAfterMicrosoftCommonTargets hook (their files are not edited), from a
# local feed with a fresh version each run. Not part of build/test.sh: it needs a checkout of another project.
#   build/real-world.sh --folder NAME DIR TFM [--web] [PACKAGE@VERSION …]
#     compiles every *.cs under DIR in a generated project (TFM, implicit usings, nullable, the listed packages; --web adds
#     the ASP.NET Core shared framework), for code whose own project cannot be restored here (a dependency the NuGet
#     feed does not serve). Compile errors in code that needs what is left out are expected and listed per file
#     (compile-errors.tsv). csc runs no analyzer once a declaration fails to bind, so in this mode the packed analyzers
#     (PgDiscipline's and EF Core's own) run through tests/PgDiscipline.RealWorld over the inputs MSBuild resolved, with
#     CompilationWithAnalyzers: every file is analysed, and both analyzers' times are measured the same way (one cold
#     pass, then warm passes; PASSES=5 by default). A finding in a file with errors is judged knowing it.
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FOLDER=""
if [[ "${1:-}" == "--folder" ]]; then
  shift
  NAME="${1:?usage: build/real-world.sh --folder NAME DIR TFM [--web] [PACKAGE@VERSION …]}"
  FOLDER="$(cd "${2:?missing DIR}" && pwd)"
  TFM="${3:?missing TFM}"
  shift 3
  WEB=0; PACKAGES=()
  for a in "$@"; do if [[ "$a" == "--web" ]]; then WEB=1; else PACKAGES+=("$a"); fi; done
  GEN="$REPO_ROOT/artifacts/real-world/$NAME-project"
  rm -rf "$GEN"; mkdir -p "$GEN"
  {
    echo '<Project Sdk="Microsoft.NET.Sdk">'
    echo "  <PropertyGroup><TargetFramework>$TFM</TargetFramework><ImplicitUsings>enable</ImplicitUsings><Nullable>enable</Nullable>"
    echo "    <EnableDefaultCompileItems>false</EnableDefaultCompileItems><ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally>"
    echo "    <NoWarn>\$(NoWarn);NU1603;NU1608;NU1701;NU1902;NU1903;NU1904</NoWarn></PropertyGroup>"
    echo "  <ItemGroup><Compile Include=\"$FOLDER/**/*.cs\" Exclude=\"$FOLDER/**/obj/**;$FOLDER/**/bin/**\" /></ItemGroup>"
    (( WEB )) && echo '  <ItemGroup><FrameworkReference Include="Microsoft.AspNetCore.App" /></ItemGroup>'
    echo '  <ItemGroup>'
    for p in "${PACKAGES[@]}"; do echo "    <PackageReference Include=\"${p%@*}\" Version=\"${p#*@}\" />"; done
    echo '  </ItemGroup>'
    echo '</Project>'
  } > "$GEN/RealWorld.csproj"
  # Keep the repository's Directory.Build.* away from the generated project.
  echo '<Project />' > "$GEN/Directory.Build.props"; echo '<Project />' > "$GEN/Directory.Build.targets"
  echo '<Project />' > "$GEN/Directory.Packages.props"
  PROJECT="$GEN/RealWorld.csproj"
  TFM=""
else
  NAME="${1:?usage: build/real-world.sh NAME PROJECT.csproj [TFM]}"
  PROJECT="$(cd "$(dirname "${2:?usage: build/real-world.sh NAME PROJECT.csproj [TFM]}")" && pwd)/$(basename "$2")"
  TFM="${3:-}"
fi
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
OUT="$REPO_ROOT/artifacts/real-world/$NAME"
FEED="$REPO_ROOT/artifacts/real-world/feed"
rm -rf "$OUT"; mkdir -p "$OUT" "$FEED"

VERSION="0.0.0-rw$(date +%s)"
dotnet build "$REPO_ROOT/src/PgDiscipline.Analyzers.Package" -c Release -nologo -v:q -clp:ErrorsOnly >/dev/null
dotnet pack "$REPO_ROOT/src/PgDiscipline.Analyzers.Package" -c Release --no-build -nologo -v:q -o "$FEED" \
  "-p:PackageVersion=$VERSION" "-p:NuspecOutputPath=$OUT/nuspec/" >/dev/null

cat > "$OUT/inject.targets" <<XML
<Project>
  <!-- Central package management (Directory.Packages.props) takes a VersionOverride; otherwise a Version. -->
  <ItemGroup Condition="'\$(ManagePackageVersionsCentrally)' == 'true'">
    <PackageReference Include="PgDiscipline.Analyzers" VersionOverride="$VERSION" PrivateAssets="all" />
  </ItemGroup>
  <ItemGroup Condition="'\$(ManagePackageVersionsCentrally)' != 'true'">
    <PackageReference Include="PgDiscipline.Analyzers" Version="$VERSION" PrivateAssets="all" />
  </ItemGroup>
  <PropertyGroup>
    <ErrorLog>$OUT/findings.sarif,version=2.1</ErrorLog>
    <ReportAnalyzer>true</ReportAnalyzer>
    <TreatWarningsAsErrors>false</TreatWarningsAsErrors>
    <WarningsAsErrors></WarningsAsErrors>
    <RunAnalyzersDuringBuild>true</RunAnalyzersDuringBuild>
  </PropertyGroup>
  <!-- What csc is given, for the folder mode's driver (tests/PgDiscipline.RealWorld). -->
  <Target Name="PgdWriteCompilerInputs" BeforeTargets="CoreCompile">
    <WriteLinesToFile File="$OUT/inputs/compile.txt" Lines="@(Compile->'%(FullPath)')" Overwrite="true" />
    <WriteLinesToFile File="$OUT/inputs/references.txt" Lines="@(ReferencePathWithRefAssemblies->'%(FullPath)')" Overwrite="true" />
    <WriteLinesToFile File="$OUT/inputs/analyzers.txt" Lines="@(Analyzer->'%(FullPath)')" Overwrite="true" />
    <WriteLinesToFile File="$OUT/inputs/editorconfigs.txt" Lines="@(EditorConfigFiles->'%(FullPath)')" Overwrite="true" />
    <WriteLinesToFile File="$OUT/inputs/additionalfiles.txt" Lines="@(AdditionalFiles->'%(FullPath)')" Overwrite="true" />
    <WriteLinesToFile File="$OUT/inputs/properties.txt" Lines="LangVersion=\$(LangVersion);Nullable=\$(Nullable);DefineConstants=\$(DefineConstants.Replace(';', ','))" Overwrite="true" />
  </Target>
</Project>
XML

args=("$PROJECT" -c Release -nologo -v:d --no-incremental "-p:CustomAfterMicrosoftCommonTargets=$OUT/inject.targets"
      "-p:RestoreAdditionalProjectSources=$FEED")
[[ -n "$TFM" ]] && args+=(-f "$TFM")
set +e
dotnet build "${args[@]}" > "$OUT/build.log" 2>&1
rc=$?
set -e
if [[ -n "$FOLDER" ]]; then
  # csc stops before its analyzers when a declaration does not bind (code taken out of its own build has such errors):
  # the driver runs the same packed analyzers over the same inputs with CompilationWithAnalyzers.
  if ! [[ -s "$OUT/inputs/compile.txt" ]]; then
    echo "[real-world] $NAME: the build did not reach the compiler (exit $rc); see $OUT/build.log" >&2
    grep -E "error (NU|MSB)" "$OUT/build.log" | sort -u | head -20 >&2 || true
    exit 1
  fi
  dotnet build "$REPO_ROOT/tests/PgDiscipline.RealWorld" -c Release -nologo -v:q -clp:ErrorsOnly >/dev/null
  dotnet "$REPO_ROOT/tests/PgDiscipline.RealWorld/bin/Release/net10.0/PgDiscipline.RealWorld.dll" "$OUT/inputs" "$OUT" "$FOLDER" "${PASSES:-5}"
  echo "[real-world] $NAME: findings in $OUT/findings.tsv, compile errors per file in $OUT/compile-errors.tsv"
  exit 0
fi
if ! [[ -s "$OUT/findings.sarif" ]]; then
  echo "[real-world] $NAME: the build wrote no SARIF log (exit $rc); see $OUT/build.log" >&2
  grep -E "error (CS|NU|MSB)" "$OUT/build.log" | sort -u | head -20 >&2 || true
  exit 1
fi

# One line per PGD finding: rule, file:line, message (for hand-judging), and the summary.
python3 - "$OUT/findings.sarif" "$OUT/findings.tsv" "$(dirname "$PROJECT")" <<'PY'
import json, sys, collections, os
sarif, out, root = sys.argv[1], sys.argv[2], sys.argv[3]
runs = json.load(open(sarif, encoding='utf-8-sig'))['runs']
rows, crashes = [], 0
for run in runs:
    for r in run.get('results', []):
        rid = r.get('ruleId', '')
        if rid == 'AD0001':
            crashes += 1
        if not rid.startswith('PGD') and rid != 'AD0001':
            continue
        loc = (r.get('locations') or [{}])[0].get('physicalLocation', {})
        uri = loc.get('artifactLocation', {}).get('uri', '')
        path = uri.replace('file://', '')
        path = os.path.relpath(path, root) if path.startswith('/') else path
        line = loc.get('region', {}).get('startLine', 0)
        msg = r.get('message', {}).get('text', '')
        if rid != 'AD0001' or 'PgDiscipline' in msg:
            rows.append((rid, f"{path}:{line}", msg.replace('\t', ' ').replace('\n', ' ')))
rows.sort()
with open(out, 'w') as f:
    for row in rows:
        f.write('\t'.join(row) + '\n')
counts = collections.Counter(r[0] for r in rows)
print('findings: ' + (', '.join(f"{k} {v}" for k, v in sorted(counts.items())) or 'none'))
print(f'analyzer crashes (AD0001, any analyzer): {crashes}')
PY
# Analyzer time (csc /reportanalyzer) per compiled project: PgDiscipline's and EF Core's own, from the build log.
grep -E "^\s+[<0-9.]+\s+[<0-9]+\s+(PgDiscipline\.Analyzers|Microsoft\.EntityFrameworkCore\.Analyzers), Version" "$OUT/build.log" \
  | awk '{ sub(",", "", $3); print "analyzer time: " $3 " " $1 " s" }' || true
echo "[real-world] $NAME: build exit $rc; findings in $OUT/findings.tsv"
