#!/usr/bin/env bash
# The query analyzers' real-code survey of docs/real-world.md (issue 20), re-run: three public EF Core applications at
# pinned commits, each compiled with the packed analyzers by build/real-world.sh --folder (their data-access code and
# what it builds on, in a generated project; their own csproj needs packages this machine's feed does not serve).
# Nothing of theirs is copied into this repository: the code is taken from bare git directories given here.
#
#   build/real-world-survey.sh BITWARDEN_GIT KAVITA_GIT PIRANHA_GIT
#     bare git directories (git clone --bare, or the search tool's fetch) of bitwarden/server, Kareadita/Kavita and
#     PiranhaCMS/piranha.core
#
# Writes artifacts/real-world/{bitwarden,kavita,piranha}/ (findings.tsv, compile-errors.tsv, analyzer-time.tsv) and prints
# each run's summary. About 6 minutes on 2 cores.
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BITWARDEN_GIT="${1:?usage: build/real-world-survey.sh BITWARDEN_GIT KAVITA_GIT PIRANHA_GIT}"
KAVITA_GIT="${2:?missing KAVITA_GIT}"
PIRANHA_GIT="${3:?missing PIRANHA_GIT}"

BITWARDEN_COMMIT=ac309aa19ed351406a56032d5f26a7a9a99f4abd
KAVITA_COMMIT=ed7e9d4a6e85c2ec04803ca86fb3d2b5ca15581a
PIRANHA_COMMIT=e095c504a63e75fcc5f7972aa356f85590b54bd8

WORK="$REPO_ROOT/artifacts/real-world/src"
rm -rf "$WORK"; mkdir -p "$WORK/bitwarden" "$WORK/kavita" "$WORK/piranha"

# Only the C# files are taken, blob by blob: a mirror may lack some repositories' fonts and images, and git archive
# stops at the first missing object.
cs() { local git="$1" commit="$2" dest="$3"; shift 3
       git --git-dir="$git" ls-tree -r --name-only "$commit" -- "$@" | grep '\.cs$' | while IFS= read -r f; do
         mkdir -p "$dest/$(dirname "$f")"; git --git-dir="$git" cat-file blob "$commit:$f" > "$dest/$f"; done; }
# bitwarden/server: the EF Core repositories and the domain they use (src/Core, src/Pam.Domain).
cs "$BITWARDEN_GIT" "$BITWARDEN_COMMIT" "$WORK/bitwarden" src/Infrastructure.EntityFramework src/Core src/Pam.Domain
# Kavita: the API (repositories, services, manual data migrations) and its two libraries; its EF Core migrations
# (SQLite schema history, thousands of generated lines) are left out: the survey is about queries.
cs "$KAVITA_GIT" "$KAVITA_COMMIT" "$WORK/kavita" API Kavita.Common Kavita.Email
rm -rf "$WORK/kavita/API/Data/Migrations"
# PiranhaCMS: the EF Core data layer and the core library it implements.
cs "$PIRANHA_GIT" "$PIRANHA_COMMIT" "$WORK/piranha" data/Piranha.Data.EF core/Piranha
rm -rf "$WORK/piranha/data/Piranha.Data.EF/Migrations"

"$REPO_ROOT/build/real-world.sh" --folder bitwarden "$WORK/bitwarden/src" net10.0 --web \
  Microsoft.EntityFrameworkCore.Relational@8.0.30 Microsoft.EntityFrameworkCore.SqlServer@8.0.30 \
  Microsoft.EntityFrameworkCore.Sqlite@8.0.30 Npgsql.EntityFrameworkCore.PostgreSQL@8.0.11 AutoMapper@14.0.0 \
  Microsoft.Extensions.Identity.Stores@8.0.30 Newtonsoft.Json@13.0.3 OneOf@3.0.271 Dapper@2.1.66
"$REPO_ROOT/build/real-world.sh" --folder kavita "$WORK/kavita" net10.0 --web \
  Microsoft.EntityFrameworkCore.Sqlite@8.0.30 Microsoft.AspNetCore.Identity.EntityFrameworkCore@8.0.30 AutoMapper@14.0.0 \
  Hangfire.Core@1.8.25 Serilog@4.0.0 System.IO.Abstractions@22.3.0
"$REPO_ROOT/build/real-world.sh" --folder piranha "$WORK/piranha" net10.0 \
  Microsoft.EntityFrameworkCore.Relational@9.0.10 Newtonsoft.Json@13.0.3 Markdig@0.45.0
