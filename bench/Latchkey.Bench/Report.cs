using System.Globalization;
using System.Text;

namespace Latchkey.Bench;

/// <summary>The Markdown report: issue 12's targets per database, then every measurement behind them.</summary>
public sealed class Report(BenchOptions options)
{
    private readonly List<DatabaseResults> _databases = [];
    private readonly List<string> _notes = [];

    public string LoadAtStart { get; init; } = "";
    public string LoadAtEnd { get; set; } = "";

    public void Add(DatabaseResults results) => _databases.Add(results);

    public void Note(string note) => _notes.Add(note);

    public string ToMarkdown()
    {
        var md = new StringBuilder();
        md.AppendLine("## Latchkey benchmark").AppendLine();
        md.AppendLine(I($"{Environment.ProcessorCount} cores, .NET {Environment.Version}, {(options.Quick ? "quick run" : "full run")}: ") +
            I($"each phase {options.Seconds:0.#} s measured after {options.WarmupSeconds:0.#} s warm-up, mixed load {options.MixedSeconds:0} s; each node first served {options.NodeWarmupSeconds:0} s of unmeasured mixed load (JIT warm-up), and sign-up and login each {options.HashWarmupSeconds:0} s alone, unmeasured, before theirs were measured. ") +
            "The node and the ceiling app are separate processes on 127.0.0.1 (HTTP/1.1, keep-alive); wrk drives every closed-loop phase " +
            I($"({options.WrkThreads} threads; {options.GetConnections} connections for GETs, {options.RefreshConnections} for refresh, {options.HashConnections} for sign-up, login and the hash ceiling).")).AppendLine();
        md.AppendLine($"- At start: {LoadAtStart}").AppendLine($"- At end: {LoadAtEnd}").AppendLine();

        md.AppendLine("### Targets (issue 12)").AppendLine();
        md.AppendLine("| Database | Target | Latchkey | Ceiling / reference | Ratio | Goal | Result | Note |");
        md.AppendLine("| --- | --- | ---: | ---: | ---: | --- | --- | --- |");
        var verdicts = new List<string>();
        foreach (var db in _databases)
        {
            var rows = Targets.For(db);
            foreach (var row in rows)
            {
                md.AppendLine($"| {db.Database} | {row.Target} | {row.Latchkey} | {row.Reference} | {row.Ratio} | {row.Goal} | **{row.Result}** | {row.Note} |");
            }
            verdicts.Add(I($"{db.Database} {rows.Count(r => r.Passed == true)} of {rows.Count(r => r.Passed is not null)} pass"));
        }
        md.AppendLine().AppendLine(string.Join("; ", verdicts) + ".").AppendLine();

        md.AppendLine("### Measurements").AppendLine();
        md.AppendLine("| Database | Server | Operation | Load | ok/s | p50 | p99 | Errors | CPU server/load/other |");
        md.AppendLine("| --- | --- | --- | --- | ---: | ---: | ---: | --- | --- |");
        foreach (var db in _databases)
        {
            var n = db.Node;
            foreach (var phase in new[] { n.SignUp, n.Login, n.Refresh, n.OidcSignIn, n.OidcRefresh, n.Jwks, n.Discovery, n.Me, n.CodeSignIn, n.LinkWakeup }.OfType<PhaseResult>())
            {
                Row(md, db.Database, "Latchkey", phase);
            }
            foreach (var phase in new[] { db.Ceiling.Jwks, db.Ceiling.Refresh, db.Ceiling.Hash })
            {
                Row(md, db.Database, "ceiling", phase);
            }
        }
        md.AppendLine();
        foreach (var db in _databases)
        {
            md.AppendLine($"- {db.Database}, mixed load ({db.Node.Mixed.Duration.TotalSeconds:0} s, one wrk thread per stream): " +
                $"Latchkey {Streams(db.Node.Mixed)}; ceiling {Streams(db.Ceiling.Mixed)}.");
            if (db.Node.Overload is { } o)
            {
                md.AppendLine(I($"- {db.Database}, overload (open loop, latency from the scheduled send): alone refresh {Overload.Describe(o.SoloRefresh)}; JWKS {Overload.Describe(o.SoloJwks)}. ") +
                    I($"With logins offered at {o.FloodLogins.OfferedPerSecond:0}/s: login {Overload.Describe(o.FloodLogins)}; refresh {Overload.Describe(o.FloodRefresh)}; JWKS {Overload.Describe(o.FloodJwks)}."));
            }
            var logged = db.Node.Warnings.Count == 0
                ? "nothing at warning level or above"
                : string.Join(", ", db.Node.Warnings.Select(w => I($"`{w.Key}` ×{w.Value}")));
            md.AppendLine($"- {db.Database}: {db.Settings}; {db.HashCost}; GC of both processes: {db.Ceiling.Gc}. Node log: {logged}.");
        }
        foreach (var note in _notes)
        {
            md.AppendLine($"- {note}");
        }
        md.AppendLine("- Ceilings, measured in the same run on a copy of the node's database: (a) a minimal ASP.NET Core app (Kestrel, logging off) " +
            "serving the node's JWKS bytes and headers from memory, the ceiling for JWKS, discovery and GET /me; (b) the same app doing the raw refresh " +
            "write per POST (one transaction: the conditional UPDATE that claims the token and the INSERT of its successor, through the node's driver " +
            "and connection settings); (c) the same app doing one Argon2id hash at the node's cost per POST on dedicated threads, one per core, " +
            "the ceiling for login and sign-up.");
        md.AppendLine("- ok/s counts 2xx answers; wrk's p50/p99 cover every answer; a rate target also needs under 1% errors. " +
            "CPU: shares of all cores in the measured window: the server process, the load generator (wrk and this program), everything else " +
            "(PostgreSQL, and anything running beside the benchmark). Targets are reported, not enforced.");
        return md.ToString();
    }

    /// <summary>" (429 rate_limited ×12, client timeout ×1)", or nothing when there were no errors.</summary>
    public static string ErrorDetail(PhaseResult result) =>
        result.Errors.Count == 0 ? "" : " (" + string.Join(", ", result.Errors.Select(e => I($"{e.Key} ×{e.Value}"))) + ")";

    private static void Row(StringBuilder md, string database, string server, PhaseResult r) =>
        md.AppendLine(I($"| {database} | {server} | {r.Name} | {r.Load ?? "—"} | {r.OpsPerSecond:0.0} | {Targets.Ms(r.P50Ms)} | {Targets.Ms(r.P99Ms)} | {r.ErrorCount}{ErrorDetail(r)} | {Cpu(r.Cpu)} |"));

    private static string Streams(MixedResult mixed) =>
        string.Join(", ", mixed.Loads.Select(l => I($"{l.Name} {l.OpsPerSecond:0}/s"))) + I($", RSS after {MixedLoad.Mb(mixed.RssAfter)}");

    /// <summary>"61/30/7%": shares of all cores used by the server, the load generator and everything else.</summary>
    public static string Cpu(CpuUse? cpu) =>
        cpu is null ? "—" : I($"{(cpu.Server is { } s ? (s * 100).ToString("0", CultureInfo.InvariantCulture) : "–")}/{cpu.Bench * 100:0}/{cpu.Other * 100:0}%");

    private static string I(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
