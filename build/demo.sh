#!/usr/bin/env bash
# The demo (placeholder until the demo issue lands). It will: build everything, show the analyzer diagnostics of
# samples/UnsafeMigrations, start the local cluster, migrate samples/ChatService under the migration guard, drive a
# read-heavy load, show where reads went (primary vs each replica), block one query fingerprint with the CLI while the
# load runs and show it being shed, and write artifacts/report/index.html and report.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
echo "[demo] not implemented yet: today it builds the solution and shows the local cluster starting and stopping."
build/install-deps.sh
dotnet build PgDiscipline.sln -c Release -nologo -v:q
trap 'build/cluster.sh stop >/dev/null 2>&1 || true' EXIT
build/cluster.sh start
build/cluster.sh status
