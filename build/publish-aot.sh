#!/usr/bin/env bash
# Publishes the pgdiscipline CLI as a Native AOT binary: artifacts/aot/pgdiscipline (linux-x64 here; pass another RID).
# The same code as the `dotnet tool` (PgDiscipline.Cli), compiled ahead of time: no JIT at start-up, so a per-file
# `pgdiscipline lint` (pre-commit hooks, CI steps that call a linter per file) costs ~27 ms instead of ~150 ms.
# Also artifacts/aot/pgdiscipline-lint: the same `lint` and `fingerprint` commands alone (no Npgsql), for per-file calls.
#   build/publish-aot.sh [RID]
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"
rid="${1:-linux-x64}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# The native linker (clang or gcc) and zlib's headers: installed when missing (build/install-deps.sh, apt-get).
command -v clang >/dev/null 2>&1 || command -v gcc >/dev/null 2>&1 || PGD_EXTRA_PACKAGES="clang ${PGD_EXTRA_PACKAGES:-}"
[[ -e /usr/include/zlib.h ]] || PGD_EXTRA_PACKAGES="zlib1g-dev ${PGD_EXTRA_PACKAGES:-}"
if [[ -n "${PGD_EXTRA_PACKAGES:-}" ]]; then PGD_EXTRA_PACKAGES="$PGD_EXTRA_PACKAGES" build/install-deps.sh; fi
out="$REPO_ROOT/artifacts/aot"
rm -rf "$out"
dotnet publish src/PgDiscipline.Cli -c Release -r "$rid" -p:PgdAot=true -nologo -v:q -clp:ErrorsOnly -o "$out"
# The lint alone (no Npgsql, no runtime): a smaller binary that starts faster, for per-file calls. A configuration of its
# own keeps its intermediate files apart from Release's.
dotnet publish src/PgDiscipline.Cli -c ReleaseLint -p:Optimize=true -r "$rid" -p:PgdAot=true -p:PgdLintOnly=true \
  -nologo -v:q -clp:ErrorsOnly -o "$out"
rm -f "$out"/*.pdb "$out"/*.dbg "$out"/*.xml
echo "[aot] $out/pgdiscipline ($(du -h "$out/pgdiscipline" | cut -f1)), $out/pgdiscipline-lint ($(du -h "$out/pgdiscipline-lint" | cut -f1))"
