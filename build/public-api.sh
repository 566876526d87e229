#!/usr/bin/env bash
# Adds every public symbol the build reports as undeclared (RS0016) to its project's PublicAPI.Unshipped.txt.
# Run after adding public API on purpose and review the diff; at a release, Unshipped lines move to PublicAPI.Shipped.txt.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out="$(dotnet build PgDiscipline.sln -c Release -nologo -v:q --no-incremental -p:TreatWarningsAsErrors=false 2>&1 || true)"
grep -oE "RS0016: Symbol '.*' is not part of the declared public API.*\[[^]]*\.csproj" <<<"$out" \
  | sed -E "s/^RS0016: Symbol '(.*)' is not part of the declared public API.*\[([^]:]*\.csproj).*/\2\t\1/" \
  | sort -u | while IFS=$'\t' read -r project symbol; do
      echo "$symbol" >> "$(dirname "$project")/PublicAPI.Unshipped.txt"
    done
for f in src/*/PublicAPI.Unshipped.txt; do
  # grep finds nothing in an empty file (exit 1; pipefail): that must not leave the .tmp behind.
  { echo '#nullable enable'; { grep -v '^#nullable' "$f" || true; } | LC_ALL=C sort -u; } > "$f.tmp" && mv "$f.tmp" "$f"
done
git diff --stat -- 'src/*/PublicAPI.Unshipped.txt'
