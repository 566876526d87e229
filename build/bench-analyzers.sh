#!/usr/bin/env bash
# Analyzer cost (never suppress PGD ids in the generated project: the compiler skips analyzers whose diagnostics are
# all disabled, which would measure nothing). Builds a generated EF Core project (300 files, 2,100 queries) with and without the packed
# PgDiscipline.Analyzers, 3 times each (full rebuilds), and prints the median times, the ratio, and per-analyzer times
# from -p:ReportAnalyzer=true. Usage: build/bench-analyzers.sh [files] [runs]
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FILES="${1:-300}"; RUNS="${2:-3}"; QUERIES_PER_FILE=7
WORK="$(mktemp -d /tmp/pgd-analyzer-bench-XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 MSBUILDDISABLENODEREUSE=1

VERSION="0.1.0-bench.$(date +%s)"
dotnet build "$REPO_ROOT/src/PgDiscipline.Analyzers.Package" -c Release -nologo -v:q >/dev/null
dotnet pack "$REPO_ROOT/src/PgDiscipline.Analyzers.Package" -c Release --no-build -o "$WORK/feed" -p:PackageVersion="$VERSION" >/dev/null

gen() { # dir withAnalyzers
  local dir="$1" with="$2"
  mkdir -p "$dir"
  cat > "$dir/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration><packageSources><add key="local" value="$WORK/feed" /></packageSources></configuration>
XML
  local ref=""
  [[ "$with" == yes ]] && ref="<PackageReference Include=\"PgDiscipline.Analyzers\" Version=\"$VERSION\" />"
  cat > "$dir/Gen.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><TargetFramework>net10.0</TargetFramework><Nullable>enable</Nullable><ImplicitUsings>enable</ImplicitUsings></PropertyGroup>
  <ItemGroup><PackageReference Include="Npgsql.EntityFrameworkCore.PostgreSQL" Version="10.0.0" />$ref</ItemGroup>
</Project>
XML
  cat > "$dir/Model.cs" <<'CS'
using Microsoft.EntityFrameworkCore;
namespace Gen;
public class User { public int Id { get; set; } public string Name { get; set; } = ""; public Team Team { get; set; } = null!; public List<Order> Orders { get; set; } = new(); }
public class Team { public int Id { get; set; } public Company Company { get; set; } = null!; }
public class Company { public int Id { get; set; } public string Name { get; set; } = ""; }
public class Order { public int Id { get; set; } public int UserId { get; set; } public User User { get; set; } = null!; }
public class AppDb : DbContext { public DbSet<User> Users => Set<User>(); public DbSet<Order> Orders => Set<Order>(); }
CS
  for i in $(seq 1 "$FILES"); do
    cat > "$dir/Repo$i.cs" <<CS
using Microsoft.EntityFrameworkCore;
namespace Gen;
public sealed class Repo$i(AppDb db)
{
    public Task<List<User>> A(int id) => db.Users.Where(u => u.Id == id + $i).Include(u => u.Team).ToListAsync();
    public Task<User?> B(string name) => db.Users.Include(u => u.Orders).FirstOrDefaultAsync(u => u.Name == name);
    public Task<int> C() => db.Orders.CountAsync(o => o.User.Team.Company.Name == "c$i");
    public Task<List<string>> D() => db.Users.OrderBy(u => u.Name).Select(u => u.Team.Company.Name).Take(10).ToListAsync();
    public List<Order> E(int id) => db.Orders.FromSqlRaw("select o.* from orders o join users u on u.id = o.user_id where u.id = {0}", id).ToList();
    public async Task<int> F(List<int> ids) { var q = db.Users.Include(u => u.Team); var r = await q.Where(u => ids.Contains(u.Id)).ToListAsync(); return r.Count; }
    public Task<bool> G() => (from u in db.Users join o in db.Orders on u.Id equals o.UserId where o.Id > $i select u).AnyAsync();
}
CS
  done
}

gen "$WORK/without" no
gen "$WORK/with" yes
(cd "$WORK/without" && dotnet restore -v:q >/dev/null) && (cd "$WORK/with" && dotnet restore -v:q >/dev/null)

time_build() { # dir -> seconds
  local start end
  start=$(date +%s.%N)
  (cd "$1" && dotnet build --no-restore --no-incremental -nologo -v:q -clp:ErrorsOnly >/dev/null)
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f\n", b - a }'
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

echo "[bench] warm-up builds"
time_build "$WORK/without" >/dev/null; time_build "$WORK/with" >/dev/null
w=(); o=()
for r in $(seq 1 "$RUNS"); do
  o+=("$(time_build "$WORK/without")"); w+=("$(time_build "$WORK/with")")
done
mo=$(printf '%s\n' "${o[@]}" | median); mw=$(printf '%s\n' "${w[@]}" | median)
echo "files=$FILES queries=$((FILES * QUERIES_PER_FILE)) runs=$RUNS"
echo "without PgDiscipline.Analyzers: ${o[*]} -> median ${mo}s"
echo "with    PgDiscipline.Analyzers: ${w[*]} -> median ${mw}s"
echo "ratio with/without: $(awk -v w="$mw" -v o="$mo" 'BEGIN { printf "%.3f\n", w / o }')"
# Diagnostics must really be produced (an analyzer whose ids are all suppressed is skipped by the compiler).
echo "(the generated queries stay within the rules, so the build reports no PGD warnings; ReportAnalyzer below shows the rules ran)"
echo "[bench] per-analyzer times (-p:ReportAnalyzer=true):"
(cd "$WORK/with" && dotnet build --no-restore --no-incremental -nologo -v:d -p:ReportAnalyzer=true 2>&1 \
  | grep -v "/noconfig" | grep -E "Total analyzer execution time|PgDiscipline\.Analyzers|EntityFrameworkCore\.Analyzers|NetAnalyzers" | sed 's/^ *//' | head -24)
