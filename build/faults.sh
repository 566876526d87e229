#!/usr/bin/env bash
# The fault suite and the fuzz run -> docs/reliability.md. Not part of build/test.sh (about 5 minutes here).
#   build/faults.sh                 fresh local cluster, every fault scenario under load, the cache-layer failure with and
#                                   without Coalesce (cachestorm), then 60 s of fuzzing
#   build/faults.sh --only TEXT     only the scenarios whose name contains TEXT (no fuzzing); TEXT may list several,
#                                   comma-separated, and a part starting with ^ matches the start of a name:
#                                   --only '^replica killed,^WAL replay paused'  (PgDiscipline and the contrasts)
#   build/faults.sh --fuzz-only     only the fuzz run (no cluster); reuses the last artifacts/faults/faults.md for the doc
#   PGD_FUZZ_SECONDS=600 build/faults.sh --fuzz-only
# Exit 1 when a PgDiscipline scenario had a stale read or a lost write, or fuzzing found a crash, hang or violation.
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
OUT="$REPO_ROOT/artifacts/faults"
mkdir -p "$OUT"
only=""; fuzz=1; faults=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --only) only="$2"; fuzz=0; shift 2 ;;
    --fuzz-only) faults=0; shift ;;
    *) echo "usage: $0 [--only TEXT | --fuzz-only]" >&2; exit 64 ;;
  esac
done

build/install-deps.sh
dotnet build tests/PgDiscipline.Workload -c Release -nologo -v:q -clp:ErrorsOnly
dotnet build src/PgDiscipline.Cli -c Release -nologo -v:q -clp:ErrorsOnly
WORKLOAD=(dotnet "$REPO_ROOT/tests/PgDiscipline.Workload/bin/Release/net10.0/PgDiscipline.Workload.dll")
rc=0
if (( faults )); then
  trap 'build/cluster.sh stop >/dev/null 2>&1 || true' EXIT
  build/cluster.sh stop >/dev/null 2>&1 || true
  build/cluster.sh start
  args=(faults --env "$REPO_ROOT/artifacts/cluster/cluster.env" --cli "$REPO_ROOT/src/PgDiscipline.Cli/bin/Release/net10.0/pgdiscipline.dll" --out "$OUT/faults.md")
  [[ -n "$only" ]] && args+=(--only "$only")
  "${WORKLOAD[@]}" "${args[@]}" || rc=1
  if [[ -z "$only" ]]; then
    "${WORKLOAD[@]}" cachestorm --env "$REPO_ROOT/artifacts/cluster/cluster.env" --out "$OUT/cachestorm.md" || rc=1
  fi
fi
if (( fuzz )); then
  "${WORKLOAD[@]}" fuzz --seconds "${PGD_FUZZ_SECONDS:-60}" --out "$OUT/fuzz.md" || rc=1
fi

if [[ -z "$only" && -s "$OUT/fuzz.md" && ( $faults == 0 || -s "$OUT/faults.md" ) ]]; then
  {
    cat tests/PgDiscipline.Workload/reliability.head.md
    if [[ -s "$OUT/faults.md" ]]; then echo; echo "## Fault scenarios (\`build/faults.sh\`)"; echo; cat "$OUT/faults.md"; fi
    if [[ -s "$OUT/cachestorm.md" ]]; then echo; cat tests/PgDiscipline.Workload/cachestorm.head.md; cat "$OUT/cachestorm.md"; fi
    echo; echo "## Fuzzing"; echo; cat "$OUT/fuzz.md"
  } > "$OUT/reliability.md"
  cp "$OUT/reliability.md" docs/reliability.md
  echo "[faults] wrote $OUT/reliability.md and docs/reliability.md"
fi
exit $rc
