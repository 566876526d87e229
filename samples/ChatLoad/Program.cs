// The demo's load driver for samples/ChatService: a read-heavy chat mix over HTTP.
//   ChatLoad run URL SECONDS WORKERS [--expect clean|shed]   -> one JSON line; exit 1 when the expectation fails
//   ChatLoad hottest SNAPSHOT                                  -> the fingerprint of the most-called SELECT
//   ChatLoad routing SNAPSHOT                                  -> commands per target, one line
//   ChatLoad port | wait URL SECONDS | snapshot URL             -> helpers for build/demo.sh (no curl needed)
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

var inv = CultureInfo.InvariantCulture;
switch (args.FirstOrDefault())
{
    case "run":
        return await Run(args[1], int.Parse(args[2], inv), int.Parse(args[3], inv), args.Length > 5 && args[4] == "--expect" ? args[5] : null);
    case "hottest":
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(args[1]));
        var hot = doc.RootElement.GetProperty("queries").EnumerateArray()
            .Where(q => q.GetProperty("kind").GetString() == "select" && q.GetProperty("fingerprint").GetString() != "overflow")
            .OrderByDescending(q => q.GetProperty("calls").GetInt64()).First();
        Console.WriteLine($"{hot.GetProperty("fingerprint").GetString()} {hot.GetProperty("calls").GetInt64()} {hot.GetProperty("normalized").GetString()}");
        return 0;
    }

    case "routing":
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(args[1]));
        var totals = new Dictionary<string, long>();
        foreach (var q in doc.RootElement.GetProperty("queries").EnumerateArray())
        {
            foreach (var t in q.GetProperty("routing").EnumerateObject())
            {
                totals[t.Name] = totals.GetValueOrDefault(t.Name) + t.Value.GetInt64();
            }
        }

        var all = Math.Max(1, totals.Values.Sum());
        Console.WriteLine(string.Join(", ", totals.Select(t => $"{t.Key}: {t.Value} ({t.Value * 100.0 / all:0.#}%)")));
        return 0;
    }

    case "port":
    {
        // A free loopback port for the service.
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        Console.WriteLine(((IPEndPoint)listener.LocalEndpoint).Port);
        return 0;
    }

    case "wait":
    {
        // Waits until GET URL/health answers 200 (replicas in rotation), up to SECONDS.
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(int.Parse(args[2], inv)))
        {
            try
            {
                if ((await http.GetAsync(args[1] + "/health")).StatusCode == HttpStatusCode.OK)
                {
                    return 0;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
            }

            await Task.Delay(300);
        }

        return 1;
    }

    case "snapshot":
    {
        // The endpoint needs the service's Chat:OpsKey (samples/ChatService/OpsEndpoints.cs), given here as CHAT_OPS_KEY.
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, args[1] + "/_pgdiscipline/snapshot");
        request.Headers.Add("X-Ops-Key", Environment.GetEnvironmentVariable("CHAT_OPS_KEY") ?? "");
        return (await http.SendAsync(request)).IsSuccessStatusCode ? 0 : 1;
    }

    default:
        Console.Error.WriteLine("usage: ChatLoad run URL SECONDS WORKERS [--expect clean|shed] | hottest SNAPSHOT | routing SNAPSHOT");
        return 2;
}

static async Task<int> Run(string url, int seconds, int workers, string? expect)
{
    using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(10) };
    var latencies = new List<double>();
    var status = new Dictionary<string, Dictionary<int, long>>();
    var errors = 0L;
    var stop = Stopwatch.StartNew();
    var until = TimeSpan.FromSeconds(seconds);

    async Task Worker(int id)
    {
        var rng = new Random(id * 7919);
        string? token = null;
        // After its own write a client sends the token back on its next request (it reloads what it just posted).
        var mine = new List<double>();
        while (stop.Elapsed < until)
        {
            var roll = rng.Next(100);
            var user = rng.Next(1, 501);
            var conversation = rng.Next(1, 201);
            (string Name, HttpRequestMessage Request) op = roll switch
            {
                < 40 => ("messages", new HttpRequestMessage(HttpMethod.Get, $"/conversations/{conversation}/messages?limit=20")),
                < 70 => ("conversations", new HttpRequestMessage(HttpMethod.Get, $"/users/{user}/conversations")),
                < 95 => ("profile", new HttpRequestMessage(HttpMethod.Get, $"/users/{user}")),
                < 99 => ("post", new HttpRequestMessage(HttpMethod.Post, $"/conversations/{conversation}/messages") { Content = JsonContent.Create(new { authorId = user, body = "load message" }) }),
                _ => ("rename", new HttpRequestMessage(HttpMethod.Put, $"/conversations/{conversation}/title") { Content = JsonContent.Create(new { title = "Renamed " + rng.Next(1000) }) }),
            };
            if (token is not null)
            {
                op.Request.Headers.Add("X-PgDiscipline-Session", token);
                token = null;
            }

            var t0 = Stopwatch.GetTimestamp();
            try
            {
                using var response = await http.SendAsync(op.Request);
                await response.Content.ReadAsByteArrayAsync();
                mine.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                if (response.Headers.TryGetValues("X-PgDiscipline-Session", out var values))
                {
                    token = values.First();
                }

                lock (status)
                {
                    var byCode = status.TryGetValue(op.Name, out var d) ? d : status[op.Name] = new Dictionary<int, long>();
                    byCode[(int)response.StatusCode] = byCode.GetValueOrDefault((int)response.StatusCode) + 1;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                Interlocked.Increment(ref errors);
            }
        }

        lock (latencies)
        {
            latencies.AddRange(mine);
        }
    }

    await Task.WhenAll(Enumerable.Range(0, workers).Select(Worker));
    latencies.Sort();
    double P(double q) => latencies.Count == 0 ? 0 : latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(q * latencies.Count) - 1)];
    var total = status.Values.Sum(d => d.Values.Sum());
    var failed = status.Values.Sum(d => d.Where(p => p.Key >= 500 || p.Key == 429).Sum(p => p.Value)) + errors;
    var shed = status.Values.Sum(d => d.Where(p => p.Key is 503 or 429).Sum(p => p.Value));
    var summary = new
    {
        requests = total,
        rps = Math.Round(total / (double)seconds, 1),
        p50Ms = Math.Round(P(0.50), 2),
        p99Ms = Math.Round(P(0.99), 2),
        failed,
        shed,
        byEndpoint = status.ToDictionary(p => p.Key, p => p.Value.ToDictionary(c => c.Key.ToString(CultureInfo.InvariantCulture), c => c.Value)),
    };
    Console.WriteLine(JsonSerializer.Serialize(summary));
    return expect switch
    {
        "clean" when failed > 0 => Fail($"expected no failed request, got {failed}"),
        "shed" when shed == 0 => Fail("expected shed requests (503/429), got none"),
        _ => 0,
    };

    static int Fail(string message)
    {
        Console.Error.WriteLine("ChatLoad: " + message);
        return 1;
    }
}
