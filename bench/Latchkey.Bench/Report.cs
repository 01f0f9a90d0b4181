using System.Globalization;
using System.Text;

namespace Latchkey.Bench;

/// <summary>The Markdown report: one row per (database, operation) beside the limit it is judged against.</summary>
public sealed class Report(BenchOptions options)
{
    private readonly List<DatabaseResults> _databases = [];
    private readonly List<string> _notes = [];

    public void Add(DatabaseResults results) => _databases.Add(results);

    public void Note(string note) => _notes.Add(note);

    public string ToMarkdown()
    {
        var md = new StringBuilder();
        md.AppendLine("## Latchkey benchmark").AppendLine();
        md.Append(Invariant($"{Environment.ProcessorCount} cores, .NET {Environment.Version}, one server process per database on 127.0.0.1 over HTTP/1.1. "));
        md.Append(Invariant($"Each row: {options.Seconds:0.#} s measured after {options.WarmupSeconds:0.#} s warm-up; "));
        md.Append(Invariant($"sign-up and login with {options.HashWorkers} workers, refresh and JWKS with {options.IoWorkers}. "));
        md.AppendLine("ops/s counts 2xx answers only; p50/p99 are over those; errors are every other answer or failure.");
        md.AppendLine();
        md.AppendLine("| Database | Operation | Workers | ops/s | p50 ms | p99 ms | Errors | Limit ops/s | Ratio | Target | CPU server/bench/other |");
        md.AppendLine("| --- | --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | --- | --- |");
        foreach (var db in _databases)
        {
            Row(md, db.Database, db.SignUp, db.Hashes, target: null);
            Row(md, db.Database, db.Login, db.Hashes, target: 0.90);
            Row(md, db.Database, db.Refresh, db.RawWrites, target: 0.50);
            Row(md, db.Database, db.Jwks, limit: null, target: null);
            Row(md, db.Database, db.CodeSignIn, limit: null, target: null);
            Row(md, db.Database, db.LinkWakeup, limit: null, target: null);
        }

        md.AppendLine().AppendLine("Limits, measured in the same run without the server:").AppendLine();
        md.AppendLine("| Limit | Database | Workers | ops/s | p50 ms | p99 ms | Errors | CPU server/bench/other |");
        md.AppendLine("| --- | --- | ---: | ---: | ---: | ---: | --- | --- |");
        foreach (var db in _databases)
        {
            LimitRow(md, $"Argon2id hash ({RawLimits.MemoryKiB / 1024} MiB, t={RawLimits.Iterations}), one thread per core", $"(CPU, before {db.Database})", db.Hashes);
            LimitRow(md, "UPDATE+INSERT transaction on a copy of the server's refresh_tokens", db.Database, db.RawWrites);
        }

        md.AppendLine();
        foreach (var db in _databases)
        {
            var logged = db.ServerWarnings.Count == 0
                ? "nothing at warning level or above"
                : string.Join(", ", db.ServerWarnings.Select(w => Invariant($"`{w.Key}` ×{w.Value}")));
            md.AppendLine($"- {db.Database}: {db.Settings}. Server log: {logged}.");
        }
        foreach (var db in _databases.Where(d => d.Hashes.Cpu is { Other: > 0.10 }))
        {
            md.AppendLine(Invariant($"- **Warning**: while the raw Argon2id rate was measured before {db.Database}, other processes used {db.Hashes.Cpu!.Other * 100:0}% of the CPU: ") +
                "the machine was shared, so this run's numbers are lower and noisier than on an idle machine.");
        }
        foreach (var note in _notes)
        {
            md.AppendLine($"- {note}");
        }
        md.AppendLine("- CPU: shares of all cores during the measured window: the server process, this benchmark " +
            "(HTTP client or raw loop), and everything else (PostgreSQL's processes, and anything running beside the benchmark).");
        md.AppendLine("- Limits: login and sign-up are compared with the raw Argon2id rate (each costs one hash); " +
            "refresh with the raw UPDATE+INSERT rate (the write a refresh cannot avoid; the server also reads the token, user, app, " +
            "signing key and data key). Targets are reported, not enforced.");
        return md.ToString();
    }

    /// <summary>" (429 rate_limited ×12, client timeout ×1)", or nothing when there were no errors.</summary>
    public static string ErrorDetail(PhaseResult result) =>
        result.Errors.Count == 0 ? "" : " (" + string.Join(", ", result.Errors.Select(e => Invariant($"{e.Key} ×{e.Value}"))) + ")";

    private static void Row(StringBuilder md, string database, PhaseResult result, PhaseResult? limit, double? target)
    {
        var ratio = limit is { OpsPerSecond: > 0 } ? result.OpsPerSecond / limit.OpsPerSecond : (double?)null;
        var targetText = (target, ratio) switch
        {
            (null, _) => "—",
            ({ } t, { } r) => Invariant($"≥ {t * 100:0}%: {(r >= t ? "met" : "MISSED")}"),
            ({ } t, null) => Invariant($"≥ {t * 100:0}%: no limit measured"),
        };
        var limitText = limit is null ? "—" : Invariant($"{limit.OpsPerSecond:0.0}");
        var ratioText = ratio is { } x ? Invariant($"{x * 100:0.0}%") : "—";
        md.AppendLine(Invariant(
            $"| {database} | {result.Name} | {result.Workers} | {result.OpsPerSecond:0.0} | {Ms(result.P50Ms)} | {Ms(result.P99Ms)} | {Errors(result)} | {limitText} | {ratioText} | {targetText} | {Cpu(result.Cpu)} |"));
    }

    private static void LimitRow(StringBuilder md, string name, string database, PhaseResult result) =>
        md.AppendLine(Invariant(
            $"| {name} | {database} | {result.Workers} | {result.OpsPerSecond:0.0} | {Ms(result.P50Ms)} | {Ms(result.P99Ms)} | {Errors(result)} | {Cpu(result.Cpu)} |"));

    /// <summary>"61/30/7%": shares of all cores used by the server, the benchmark and everything else.</summary>
    public static string Cpu(CpuUse? cpu) =>
        cpu is null ? "—" : Invariant($"{(cpu.Server is { } s ? (s * 100).ToString("0", CultureInfo.InvariantCulture) : "–")}/{cpu.Bench * 100:0}/{cpu.Other * 100:0}%");

    private static string Errors(PhaseResult result) => Invariant($"{result.ErrorCount}{ErrorDetail(result)}");

    private static string Ms(double ms) => double.IsNaN(ms) ? "—" : ms.ToString(ms < 10 ? "0.00" : "0.0", CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
