using PgDiscipline.Testing;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PgDiscipline.Sql;

namespace PgDiscipline.Workload;

/// <summary>
/// Mutation fuzzing of the SQL lexer / fingerprint / statement facts / migration lint, and of configuration binding and
/// validation. Hand-written on purpose: SharpFuzz needs AFL or libFuzzer binaries this machine cannot fetch, and the
/// properties checked here (no exception, no hang, same answer twice, no literal in normalized text, a bad setting names
/// its key and never echoes a password) are specific to PgDiscipline.
/// </summary>
internal static class Fuzz
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private static readonly TimeSpan HangAfter = TimeSpan.FromSeconds(2);

    private static readonly string[] Fragments =
    [
        "'", "''", "\"", "$$", "$tag$", "$1", "$", "E'\\'", "E'\\\\'", "U&'\\0041'", "B'101'", "X'ff'", "/*", "*/", "/* /* */", "--", "\n", "\r\n",
        "\t", "\0", "::", ":", "(", ")", "[", "]", ";", ",", "?", "@p0", "= ANY (@ids)", "IN (1, 2, 3)", "-1.5e-3", "0x1F", "1_000",
        "\\", "'\\'", "ä", "😀", "\uD800", "\uDFFF", "\u202E", "select", "from", "join", "where", "on", "with", "values", "returning",
        "create index", "concurrently", "alter table", "add column", "lock_timeout", "begin", "commit", "do $$ begin end $$", "copy", "\"a\"\"b\"",
    ];

    private static readonly string[] Seeds =
    [
        "SELECT u.id, u.\"Name\" FROM users AS u LEFT JOIN teams AS t ON t.id = u.team_id WHERE u.email = @p0 AND u.age > 42 LIMIT @p1",
        "INSERT INTO messages (author_id, body) VALUES (@p0, @p1) RETURNING id",
        "UPDATE accounts SET balance = balance - 10.50 WHERE id = ANY (@ids) AND note <> E'it''s \\n'",
        "SELECT * FROM t WHERE a = 'x' AND b = $$dollar 'quoted'$$ AND c = $q$ tagged $q$ -- trailing\n",
        "WITH recent AS (SELECT * FROM orders WHERE created_at > now() - interval '1 day') SELECT count(*) FROM recent r JOIN users u ON u.id = r.user_id",
        "-- pgdiscipline:read=replica\nSELECT set_config('statement_timeout', '2000', true); SELECT 1",
        "CREATE INDEX CONCURRENTLY ix ON t (a) WHERE b IS NOT NULL; ALTER TABLE t ADD COLUMN c int DEFAULT 0 NOT NULL;",
        "SET lock_timeout = '5s'; ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (c) REFERENCES customers (id) NOT VALID;",
    ];

    public static async Task<int> RunAsync(TimeSpan duration, int seed, string output)
    {
        var corpus = Seeds.ToList();
        var corpusDir = Path.Combine(RepoPaths.RepoRoot, "tests", "migration-corpus");
        if (Directory.Exists(corpusDir))
        {
            corpus.AddRange(Directory.GetFiles(corpusDir, "*.sql").Order(StringComparer.Ordinal).Select(File.ReadAllText));
        }

        var sql = await FuzzSqlAsync(corpus, duration / 2, seed);
        var config = FuzzConfiguration(duration / 2, seed);
        var md = new StringBuilder();
        md.AppendLine(Inv, $"Date: {DateTime.UtcNow:yyyy-MM-dd}, seed {seed}, {Environment.ProcessorCount} vCPU. Reproduce: `build/faults.sh --fuzz-only` (or `dotnet tests/PgDiscipline.Workload/bin/Release/net10.0/PgDiscipline.Workload.dll fuzz --seconds {duration.TotalSeconds:0} --seed {seed} --out FILE`).");
        md.AppendLine();
        md.AppendLine("| Target | inputs tried | crashes | hangs (> 2 s) | property violations | properties checked |");
        md.AppendLine("|---|---:|---:|---:|---:|---|");
        md.AppendLine(Inv, $"| SQL lexer + `SqlFingerprint.Compute` + `SqlCommandInfo.Analyze` + `MigrationLint.Lint` | {sql.Tried} | {sql.Crashes} | {sql.Hangs} | {sql.Violations} | no exception; same fingerprint twice; a marked string/dollar literal never appears in the normalized text (well-formed inputs, {sql.LiteralChecks} checked) |");
        md.AppendLine(Inv, $"| configuration binding + validation (`AddPgDiscipline`) | {config.Tried} | {config.Crashes} | 0 | {config.Violations} | starts, or fails with OptionsValidationException/InvalidOperationException naming a `PgDiscipline:` key ({config.Rejected} rejected); no password in any message or log line (passwords are put in every value that is not a name: rule ids, names, tags and reasons are echoed on purpose) |");
        md.AppendLine();
        foreach (var f in sql.Findings.Concat(config.Findings).Take(20))
        {
            md.AppendLine("- finding: " + f);
        }

        await File.WriteAllTextAsync(output, md.ToString());
        Console.WriteLine(md.ToString());
        return sql.Crashes + sql.Hangs + sql.Violations + config.Crashes + config.Violations == 0 ? 0 : 1;
    }

    private sealed class Outcome
    {
        public long Tried;
        public int Crashes;
        public int Hangs;
        public int Violations;
        public int Rejected;
        public long LiteralChecks;
        public List<string> Findings { get; } = [];

        private readonly HashSet<string> _kinds = new(StringComparer.Ordinal);

        /// <summary>Keeps the first example of each kind of finding (up to 20 kinds).</summary>
        public void Find(string what, string input)
        {
            if (Findings.Count < 20 && _kinds.Add(what))
            {
                Findings.Add($"{what}: `{Escape(input)}`");
            }
        }

        private static string Escape(string s) => new(s.Take(200).Select(c => char.IsControl(c) || char.IsSurrogate(c) ? '·' : c).ToArray());
    }

    private static async Task<Outcome> FuzzSqlAsync(List<string> corpus, TimeSpan duration, int seed)
    {
        var outcome = new Outcome();
        var rng = new Random(seed);
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < duration)
        {
            // A batch runs on a worker thread with a watchdog, so a hang is seen (and reported) instead of stalling the run.
            var batch = Enumerable.Range(0, 200).Select(_ => Next(rng, corpus, outcome)).ToList();
            var current = -1;
            var work = Task.Run(() =>
            {
                foreach (var (input, marker) in batch)
                {
                    Interlocked.Exchange(ref current, batch.IndexOf((input, marker)));
                    Check(input, marker, outcome);
                }
            });
            var batchBudget = TimeSpan.FromTicks(HangAfter.Ticks * 5);
            if (await Task.WhenAny(work, Task.Delay(batchBudget)) != work)
            {
                outcome.Hangs++;
                outcome.Find("hang", batch[Math.Max(0, Volatile.Read(ref current))].Input);
                break; // the stuck thread cannot be stopped; report and end this target
            }

            await work;
        }

        return outcome;
    }

    private static (string Input, string? Marker) Next(Random rng, List<string> corpus, Outcome outcome)
    {
        var kind = rng.Next(10);
        if (kind == 0)
        {
            // Random UTF-16, surrogates and control characters included.
            var chars = new char[rng.Next(0, 300)];
            for (var i = 0; i < chars.Length; i++)
            {
                chars[i] = (char)rng.Next(0, rng.Next(2) == 0 ? 128 : 0x10000);
            }

            return (new string(chars), null);
        }

        if (kind <= 3)
        {
            // Well-formed statement with marked literals: the marker must never reach the normalized text.
            var marker = "Zq" + rng.Next(100000, 999999).ToString(Inv) + "secret";
            var literal = rng.Next(4) switch
            {
                0 => $"'{marker}'",
                1 => $"E'{marker}\\n'",
                2 => $"$${marker}$$",
                _ => $"$t{rng.Next(9)}$ {marker} $t{rng.Next(9)}$".Replace("$t", "$x", StringComparison.Ordinal),
            };
            var ws = new[] { " ", "  ", "\n", "\t", " /* c */ ", " -- c\n" };
            string W() => ws[rng.Next(ws.Length)];
            var stmt = rng.Next(3) switch
            {
                0 => $"select{W()}*{W()}from{W()}t{W()}where{W()}a{W()}={W()}{literal}{W()}and b = {rng.Next()}",
                1 => $"insert into t (a, b) values ({literal},{W()}{rng.NextDouble().ToString(Inv)})",
                _ => $"update t set a = {literal}{W()}where id in ({rng.Next()}, {rng.Next()})",
            };
            return (stmt, marker);
        }

        // Mutations of the corpus.
        var s = new StringBuilder(corpus[rng.Next(corpus.Count)]);
        for (var m = rng.Next(1, 6); m > 0; m--)
        {
            var at = s.Length == 0 ? 0 : rng.Next(s.Length + 1);
            switch (rng.Next(5))
            {
                case 0:
                    s.Insert(at, Fragments[rng.Next(Fragments.Length)]);
                    break;
                case 1 when s.Length > 0:
                    s.Remove(Math.Min(at, s.Length - 1), Math.Min(rng.Next(1, 20), s.Length - Math.Min(at, s.Length - 1)));
                    break;
                case 2:
                    s.Length = Math.Min(s.Length, at);
                    break;
                case 3 when s.Length > 0:
                    var from = rng.Next(s.Length);
                    s.Insert(at, s.ToString(from, Math.Min(rng.Next(1, 40), s.Length - from)));
                    break;
                default:
                    s.Insert(at, corpus[rng.Next(corpus.Count)]);
                    break;
            }
        }

        return (s.ToString(), null);
    }

    private static void Check(string input, string? marker, Outcome outcome)
    {
        Interlocked.Increment(ref outcome.Tried);
        try
        {
            var a = SqlFingerprint.Compute(input);
            var b = SqlFingerprint.Compute(input);
            var info = SqlCommandInfo.Analyze(input);
            _ = MigrationLint.Lint(input);
            if (a.Hash != b.Hash || a.Normalized != b.Normalized || info.Fingerprint.Hash != a.Hash)
            {
                lock (outcome)
                {
                    outcome.Violations++;
                    outcome.Find("fingerprint not deterministic", input);
                }
            }

            if (marker is not null)
            {
                Interlocked.Increment(ref outcome.LiteralChecks);
                if (a.Normalized.Contains(marker, StringComparison.Ordinal))
                {
                    lock (outcome)
                    {
                        outcome.Violations++;
                        outcome.Find("literal in normalized text", input);
                    }
                }
            }
        }
        catch (Exception ex)
        {
            lock (outcome)
            {
                outcome.Crashes++;
                outcome.Find(ex.GetType().Name, input);
            }
        }
    }

    private static readonly string[] ConfigKeys =
    [
        "DefaultRead", "Consistency", "MaxReplicaLag", "HealthCheckInterval", "FallbackToPrimary", "LazyPrimaryConnection", "Pooler",
        "Timeouts:Statement", "Timeouts:Lock", "Timeouts:IdleInTransaction",
        "Replicas:0:ConnectionString", "Replicas:0:Name", "Replicas:0:Pool", "Replicas:0:Weight", "Replicas:0:Timeouts:Statement",
        "Replicas:1:ConnectionString", "Replicas:1:Weight",
        "Rules:0:Id", "Rules:0:Fingerprint", "Rules:0:Table", "Rules:0:Tag", "Rules:0:Action", "Rules:0:Reason", "Rules:0:PermitsPerSecond",
        "Rules:0:Burst", "Rules:0:MaxConcurrency", "Rules:0:MaxQueueTime", "Rules:0:Timeout", "Rules:0:RouteTo", "Rules:0:ExpiresAt",
        "Statistics:Enabled", "Statistics:MaxFingerprints", "Statistics:SnapshotInterval", "Statistics:SourceRoot",
        "Migrations:LockTimeout", "Migrations:StatementTimeout", "Migrations:MaxAttempts", "Migrations:RetryBackoff", "Migrations:RefuseUnsafe",
    ];

    private static readonly string[] ConfigValues =
    [
        "", " ", "0", "-1", "1", "2147483648", "-9223372036854775809", "1e308", "NaN", "true", "False", "yes", "00:00:01", "-00:00:01",
        "1.00:00:00", "10675199.02:48:05.4775807", "25:99:99", "abc", "Replica", "Primary", "Eventual", "Session", "Strong", "Direct",
        "PgBouncerTransaction", "Block", "RateLimit", "Timeout", "Route", "Queue", "primary", "0123456789abcdef", "zz", "🙂", "\0", "'; drop table x; --",
        "2026-11-23T00:00:00Z", "not a date", "Host=127.0.0.1;Port=1;Username=u;Password=FUZZSECRET", "Host=;Password=FUZZSECRET;Port=x",
        "Password=FUZZSECRET;;;=", "Host=127.0.0.1;Port=1;Timeout=-5;Password=FUZZSECRET",
    ];

    private static Outcome FuzzConfiguration(TimeSpan duration, int seed)
    {
        var outcome = new Outcome();
        var rng = new Random(seed + 1);
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < duration)
        {
            var values = new Dictionary<string, string?>();
            for (var n = rng.Next(1, 8); n > 0; n--)
            {
                var key = ConfigKeys[rng.Next(ConfigKeys.Length)];
                var value = ConfigValues[rng.Next(ConfigValues.Length)];
                if (IsIdentifier(key) && value.Contains("FUZZSECRET", StringComparison.Ordinal))
                {
                    value = "not-a-secret"; // names (rule id, replica name, tag, reason…) are echoed on purpose, so no password there
                }

                values["PgDiscipline:" + key] = value;
            }

            outcome.Tried++;
            var logs = new CapturingLoggerProvider();
            var description = string.Join("; ", values.Select(p => $"{p.Key}={p.Value}"));
            try
            {
                var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
                var services = new ServiceCollection();
                services.AddLogging(b => b.AddProvider(logs));
                services.AddPgDiscipline(configuration.GetSection("PgDiscipline"));
                using var provider = services.BuildServiceProvider();
                _ = provider.GetRequiredService<IOptionsMonitor<PgDisciplineOptions>>().CurrentValue;
                var runtime = provider.GetRequiredService<PgDisciplineRuntime>();
                runtime.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
            catch (Exception ex) when (ex is OptionsValidationException or InvalidOperationException)
            {
                outcome.Rejected++;
                var message = ex.ToString();
                if (!message.Contains("PgDiscipline:", StringComparison.Ordinal) && !ex.Message.Contains("PgDiscipline", StringComparison.Ordinal))
                {
                    outcome.Violations++;
                    outcome.Find($"{ex.GetType().Name} does not name the key ({ex.Message})", description);
                }
                else if (ex.Message.Contains("FUZZSECRET", StringComparison.Ordinal))
                {
                    outcome.Violations++;
                    outcome.Find("password in the error message", description);
                }
            }
            catch (Exception ex)
            {
                outcome.Crashes++;
                outcome.Find($"{ex.GetType().Name}: {Redact(ex.Message)}", description);
            }

            if (logs.Lines.Any(l => l.Contains("FUZZSECRET", StringComparison.Ordinal)))
            {
                outcome.Violations++;
                outcome.Find("password in a log line", description);
            }
        }

        return outcome;
    }

    private static bool IsIdentifier(string key)
        => key.EndsWith(":Id", StringComparison.Ordinal) || key.EndsWith(":Name", StringComparison.Ordinal) || key.EndsWith(":Tag", StringComparison.Ordinal)
            || key.EndsWith(":Reason", StringComparison.Ordinal) || key.EndsWith(":Table", StringComparison.Ordinal) || key.EndsWith(":RouteTo", StringComparison.Ordinal)
            || key.EndsWith(":Pool", StringComparison.Ordinal) || key.EndsWith(":Fingerprint", StringComparison.Ordinal) || key.EndsWith("SourceRoot", StringComparison.Ordinal);

    private static string Redact(string message) => message.Replace("FUZZSECRET", "<password>", StringComparison.Ordinal);

    private sealed class CapturingLoggerProvider : ILoggerProvider
    {
        public List<string> Lines { get; } = [];

        public ILogger CreateLogger(string categoryName) => new Logger(this);

        public void Dispose()
        {
        }

        private sealed class Logger(CapturingLoggerProvider owner) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                lock (owner.Lines)
                {
                    owner.Lines.Add(formatter(state, exception) + exception);
                }
            }
        }
    }
}
