using BenchmarkDotNet.Running;

// dotnet run -c Release --project tests/PgDiscipline.Benchmarks -- --filter '*'
// build/bench.sh runs the suites and writes docs/benchmarks.md.
BenchmarkSwitcher.FromAssembly(typeof(PgDiscipline.Benchmarks.FingerprintBenchmarks).Assembly).Run(args);
