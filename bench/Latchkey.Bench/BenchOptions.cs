using System.Globalization;

namespace Latchkey.Bench;

/// <summary>Command-line settings; every loop the benchmark runs is bounded by these.</summary>
public sealed record BenchOptions
{
    public const string PostgresVariable = "LATCHKEY_BENCH_POSTGRES";

    public double Seconds { get; init; } = 8;
    public double WarmupSeconds { get; init; } = 1.5;
    /// <summary>Workers for sign-up and login: twice the cores, enough to keep the server's hashing slots busy.</summary>
    public int HashWorkers { get; init; } = 2 * Environment.ProcessorCount;
    /// <summary>Workers for refresh, JWKS and the raw database writes.</summary>
    public int IoWorkers { get; init; } = 16;
    public IReadOnlyList<string> Databases { get; init; } = ["sqlite", "postgres"];
    public string ServerDll { get; init; } = DefaultServerDll();
    /// <summary>An Npgsql connection string to an existing server; the benchmark creates its own databases there.</summary>
    public string? PostgresAdmin { get; init; } = Environment.GetEnvironmentVariable(PostgresVariable) is { Length: > 0 } pg ? pg : null;

    /// <summary>A safety bound on top of the time limit, so no loop can run away.</summary>
    public Timing Timing => new(TimeSpan.FromSeconds(WarmupSeconds), TimeSpan.FromSeconds(Seconds), MaxOpsPerWorker: 2_000_000);

    public const string Usage = """
        Latchkey.Bench: throughput and latency of a Latchkey server on SQLite and PostgreSQL.
        Run it through bench/run.sh, which builds everything and provides PostgreSQL.

        Options:
          --seconds N        measured seconds per operation (default 8)
          --warmup N         warm-up seconds before each measurement, not counted (default 1.5)
          --hash-workers N   concurrent workers for sign-up and login (default 2 x cores)
          --io-workers N     concurrent workers for refresh, JWKS and raw writes (default 16)
          --databases LIST   sqlite,postgres (default both)
          --server-dll PATH  the built server (default src/Latchkey.Server/bin/Release/net10.0/Latchkey.Server.dll)

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
                    "--seconds" => options with { Seconds = Number(Next(), 0.5, 600) },
                    "--warmup" => options with { WarmupSeconds = Number(Next(), 0, 60) },
                    "--hash-workers" => options with { HashWorkers = (int)Number(Next(), 1, 1024) },
                    "--io-workers" => options with { IoWorkers = (int)Number(Next(), 1, 1024) },
                    "--databases" => options with { Databases = DatabaseList(Next()) },
                    "--server-dll" => options with { ServerDll = Path.GetFullPath(Next()) },
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

    /// <summary>The server built in Release next to this repository's bench folder.</summary>
    private static string DefaultServerDll()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Latchkey.slnx")))
            {
                return Path.Combine(dir.FullName, "src", "Latchkey.Server", "bin", "Release", "net10.0", "Latchkey.Server.dll");
            }
        }
        return Path.GetFullPath("src/Latchkey.Server/bin/Release/net10.0/Latchkey.Server.dll");
    }
}
