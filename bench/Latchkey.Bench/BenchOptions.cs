using System.Globalization;

namespace Latchkey.Bench;

/// <summary>Command-line settings; every loop the benchmark runs is bounded by these.</summary>
public sealed record BenchOptions
{
    public const string PostgresVariable = "LATCHKEY_BENCH_POSTGRES";

    public bool Quick { get; init; }
    public double Seconds { get; init; } = 10;
    public double WarmupSeconds { get; init; } = 2;
    /// <summary>
    /// Mixed load on a fresh node before anything is measured: the JIT's tiers and dynamic PGO take
    /// 15–30 s of traffic to settle, and a production node has long been past them.
    /// </summary>
    public double NodeWarmupSeconds { get; init; } = 30;
    /// <summary>
    /// Sign-up and login each served alone, unmeasured, before they are measured. In the mixed
    /// warm-up they get a few connections beside 64 others (about 9 logins/s, and no sign-up), so
    /// their code path is still tiering up afterwards: dotnet-counters showed 3.3–4.2 s of JIT time
    /// per 5 s in a fresh node's first 15 s of login load, and 0.1 s after 30 s.
    /// </summary>
    public double HashWarmupSeconds { get; init; } = 30;
    /// <summary>The mixed load after which RSS is read (issue 12: 60 s).</summary>
    public double MixedSeconds { get; init; } = 60;
    /// <summary>wrk threads for the single-operation phases: one per core, so wrk is never the bottleneck.</summary>
    public int WrkThreads { get; init; } = Math.Max(1, Environment.ProcessorCount);
    /// <summary>Connections for the GETs (JWKS, discovery, /me and their ceiling).</summary>
    public int GetConnections { get; init; } = 64;
    /// <summary>Connections for refresh and its ceiling; each carries its own refresh chain.</summary>
    public int RefreshConnections { get; init; } = 32;
    /// <summary>Connections for sign-up, login and the hash ceiling: twice the cores keeps every hashing slot busy.</summary>
    public int HashConnections { get; init; } = 2 * Environment.ProcessorCount;
    /// <summary>Workers for the C# phases (code sign-in).</summary>
    public int IoWorkers { get; init; } = 16;
    public IReadOnlyList<string> Databases { get; init; } = ["sqlite", "postgres"];
    public string ServerDll { get; init; } = BuiltDll("src", "Latchkey.Server");
    public string CeilingDll { get; init; } = BuiltDll("bench", "Latchkey.Ceiling");
    /// <summary>An Npgsql connection string to an existing server; the benchmark creates its own databases there.</summary>
    public string? PostgresAdmin { get; init; } = Environment.GetEnvironmentVariable(PostgresVariable) is { Length: > 0 } pg ? pg : null;

    /// <summary>A safety bound on top of the time limit, so no loop can run away.</summary>
    public Timing Timing => new(TimeSpan.FromSeconds(WarmupSeconds), TimeSpan.FromSeconds(Seconds), MaxOpsPerWorker: 2_000_000);

    public const string Usage = """
        Latchkey.Bench: a Latchkey server on SQLite and PostgreSQL beside ceilings measured in the same
        run (a minimal ASP.NET Core app doing only the unavoidable work), with issue 12's targets.
        Run it through bench/run.sh, which builds everything and provides PostgreSQL and wrk.

        Options:
          --quick                 about 4 minutes: 4 s per phase after 1 s warm-up, 10 s of mixed load,
                                  20 s of node warm-up, 20 s per hashing warm-up, no code sign-in, link wake-up or raw Argon2id rows
          --seconds N             measured seconds per phase (default 10)
          --warmup N              warm-up seconds before each phase, not counted (default 2)
          --node-warmup N         mixed load on a fresh node before the first measured phase (default 30)
          --hash-warmup N         sign-up and login each alone, unmeasured, before theirs are measured (default 30)
          --mixed-seconds N       mixed load before RSS is read (default 60)
          --wrk-threads N         wrk threads per phase (default: one per core)
          --get-connections N     connections for JWKS, discovery and /me (default 64)
          --refresh-connections N connections for refresh (default 32)
          --hash-connections N    connections for sign-up and login (default 2 x cores)
          --io-workers N          workers for the C# code sign-in phase (default 16)
          --databases LIST        sqlite,postgres (default both)
          --server-dll PATH       the built server (default src/Latchkey.Server/bin/Release/net10.0/Latchkey.Server.dll)
          --ceiling-dll PATH      the built ceiling app (default bench/Latchkey.Ceiling/bin/Release/net10.0/Latchkey.Ceiling.dll)

        Environment:
          LATCHKEY_BENCH_POSTGRES  Npgsql connection string of a PostgreSQL server to use (required for postgres)
        """;

    /// <summary>The options, or null after printing why the arguments are wrong.</summary>
    public static BenchOptions? Parse(string[] args)
    {
        var options = new BenchOptions();
        try
        {
            for (var i = 0; i < args.Length; i++)
            {
                string Next() => i + 1 < args.Length ? args[++i] : throw new FormatException($"{args[i]} needs a value");
                options = args[i] switch
                {
                    // Later options still override these, e.g. --quick --seconds 6.
                    "--quick" => options with { Quick = true, Seconds = 4, WarmupSeconds = 1, MixedSeconds = 10, NodeWarmupSeconds = 20, HashWarmupSeconds = 20 },
                    "--seconds" => options with { Seconds = Number(Next(), 1, 600) },
                    "--warmup" => options with { WarmupSeconds = Number(Next(), 0, 60) },
                    "--node-warmup" => options with { NodeWarmupSeconds = Number(Next(), 0, 600) },
                    "--hash-warmup" => options with { HashWarmupSeconds = Number(Next(), 0, 600) },
                    "--mixed-seconds" => options with { MixedSeconds = Number(Next(), 2, 600) },
                    "--wrk-threads" => options with { WrkThreads = (int)Number(Next(), 1, 64) },
                    "--get-connections" => options with { GetConnections = (int)Number(Next(), 1, 10_000) },
                    "--refresh-connections" => options with { RefreshConnections = (int)Number(Next(), 1, 1000) },
                    "--hash-connections" => options with { HashConnections = (int)Number(Next(), 1, 1000) },
                    "--io-workers" => options with { IoWorkers = (int)Number(Next(), 1, 1024) },
                    "--databases" => options with { Databases = DatabaseList(Next()) },
                    "--server-dll" => options with { ServerDll = Path.GetFullPath(Next()) },
                    "--ceiling-dll" => options with { CeilingDll = Path.GetFullPath(Next()) },
                    "-h" or "--help" => throw new FormatException(""),
                    var other => throw new FormatException($"unknown argument {other}"),
                };
            }
        }
        catch (FormatException e)
        {
            if (e.Message.Length > 0)
            {
                Console.Error.WriteLine($"error: {e.Message}");
            }
            Console.Error.WriteLine(Usage);
            return null;
        }
        return options;
    }

    /// <summary>wrk needs at least one connection per thread.</summary>
    public int ThreadsFor(int connections) => Math.Min(WrkThreads, connections);

    private static double Number(string text, double min, double max) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw new FormatException($"'{text}' is not a number from {min} to {max}");

    private static string[] DatabaseList(string text)
    {
        var names = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return names.Length > 0 && names.All(n => n is "sqlite" or "postgres")
            ? names.Distinct().ToArray()
            : throw new FormatException($"'{text}': databases are sqlite and/or postgres");
    }

    /// <summary>A project built in Release in this repository (found by walking up to Latchkey.slnx).</summary>
    private static string BuiltDll(string folder, string project)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Latchkey.slnx")))
            {
                return Path.Combine(dir.FullName, folder, project, "bin", "Release", "net10.0", project + ".dll");
            }
        }
        return Path.GetFullPath($"{folder}/{project}/bin/Release/net10.0/{project}.dll");
    }
}
