#!/usr/bin/env bash
# Brings each project's PublicAPI.Unshipped.txt in step with its code: every public symbol the build reports as undeclared
# (RS0016) is added; a declared symbol that is gone (RS0017) is dropped from Unshipped.txt when it was never shipped, and
# marked *REMOVED* there when PublicAPI.Shipped.txt has it (a moved or renamed type counts as removed + added).
# Run after changing public API on purpose and review the diff; at a release, Unshipped lines move to PublicAPI.Shipped.txt.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out="$(dotnet build PgDiscipline.sln -c Release -nologo -v:q --no-incremental -p:TreatWarningsAsErrors=false 2>&1 || true)"
# (grep finds nothing when nothing is new: exit 1, which pipefail would turn into the script's.)
{ grep -oE "RS0016: Symbol '.*' is not part of the declared public API.*\[[^]]*\.csproj" <<<"$out" || true; } \
  | sed -E "s/^RS0016: Symbol '(.*)' is not part of the declared public API.*\[([^]:]*\.csproj).*/\2\t\1/" \
  | sort -u | while IFS=$'\t' read -r project symbol; do
      echo "$symbol" >> "$(dirname "$project")/PublicAPI.Unshipped.txt"
    done
# RS0017 names the file and line that declares the symbol: "…/PublicAPI.Shipped.txt(12,1): warning RS0017: …".
{ grep -oE "[^ ]*PublicAPI\.(Shipped|Unshipped)\.txt\([0-9]+,[0-9]+\): (warning|error) RS0017" <<<"$out" || true; } \
  | sed -E 's/\(([0-9]+),[0-9]+\):.*/\t\1/' | sort -u > /tmp/pgd-rs0017.$$
while IFS=$'\t' read -r file line; do
  dir="$(dirname "$file")"
  if [[ "$file" == *Shipped.txt && "$file" != *Unshipped.txt ]]; then
    echo "*REMOVED*$(sed -n "${line}p" "$file")" >> "$dir/PublicAPI.Unshipped.txt"
  else
    echo "$line" >> "$dir/.unshipped-drop"
  fi
done < /tmp/pgd-rs0017.$$
rm -f /tmp/pgd-rs0017.$$
for f in src/*/PublicAPI.Unshipped.txt; do
  drop="$(dirname "$f")/.unshipped-drop"
  if [[ -f "$drop" ]]; then
    # Line numbers refer to the file as the build read it; everything appended above went after its last line.
    awk -v list="$drop" 'BEGIN { while ((getline n < list) > 0) skip[n] = 1 } !(FNR in skip)' "$f" > "$f.tmp" && mv "$f.tmp" "$f"
    rm -f "$drop"
  fi
  # grep finds nothing in an empty file (exit 1; pipefail): that must not leave the .tmp behind.
  { echo '#nullable enable'; { grep -v '^#nullable' "$f" || true; } | LC_ALL=C sort -u; } > "$f.tmp" && mv "$f.tmp" "$f"
done
git diff --stat -- 'src/*/PublicAPI.Unshipped.txt'
