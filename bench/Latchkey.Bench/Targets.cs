using System.Globalization;

namespace Latchkey.Bench;

/// <summary>One of issue 12's targets on one database: the node's figure, what it is judged against, and the verdict.</summary>
public sealed record TargetRow(string Target, string Latchkey, string Reference, string Ratio, string Goal, bool? Passed, string Note = "")
{
    public string Result => Passed switch { true => "PASS", false => "MISS", null => "n/a" };
}

/// <summary>Issue 12 part 1, target by target, from one database's results.</summary>
public static class Targets
{
    /// <summary>A rate target fails when more than this share of the answers were errors, whatever the rate.</summary>
    private const double MaxErrorShare = 0.01;

    public static IReadOnlyList<TargetRow> For(DatabaseResults r)
    {
        var node = r.Node;
        var ceiling = r.Ceiling;
        var rows = new List<TargetRow>
        {
            Rate("JWKS GET ≥ 50% of (a)", node.Jwks, ceiling.Jwks, "(a)", 0.50),
            Rate("discovery GET ≥ 50% of (a)", node.Discovery, ceiling.Jwks, "(a)", 0.50),
            new("JWKS and discovery: ETag, Cache-Control, 304 on If-None-Match", node.Caching.Summary, "—", "—", "304", node.Caching.Passed),
            Rate("refresh ≥ 50% of (b)", node.Refresh, ceiling.Refresh, "(b)", 0.50),
            new("refresh p99 < 50 ms at the measured rate", I($"p99 {Ms(node.Refresh.P99Ms)} at {node.Refresh.OpsPerSecond:0}/s"),
                I($"(b) p99 {Ms(ceiling.Refresh.P99Ms)}"), "—", "< 50 ms", node.Refresh.Succeeded > 0 ? node.Refresh.P99Ms < 50 : null),
            Rate("password login ≥ 90% of (c)", node.Login, ceiling.Hash, "(c)", 0.90),
            Rate("sign-up ≥ 80% of (c)", node.SignUp, ceiling.Hash, "(c)", 0.80),
            Rate("GET /me ≥ 30% of (a)", node.Me, ceiling.Jwks, "(a)", 0.30),
            Memory(node, ceiling),
            new("idle RSS ≤ 150 MB", MixedLoad.Mb(node.IdleRss), $"ceiling idle {MixedLoad.Mb(ceiling.IdleRss)}", "—", "≤ 150 MB",
                node.IdleRss is { } idle ? idle <= 150L * 1024 * 1024 : null),
        };
        rows.AddRange(OverloadRows(node.Overload));
        // X1 (issue 14): the provider's figures beside the JSON API's /token; no goal of their own.
        rows.Add(Beside("OIDC refresh (provider's token endpoint) beside /token refresh", node.OidcRefresh, node.Refresh));
        rows.Add(Beside("OIDC sign-in (authorize from the browser session + code exchange) beside /token refresh", node.OidcSignIn, node.Refresh));
        return rows;
    }

    private static TargetRow Rate(string target, PhaseResult latchkey, PhaseResult limit, string limitName, double goal)
    {
        var ratio = limit.OpsPerSecond > 0 ? latchkey.OpsPerSecond / limit.OpsPerSecond : (double?)null;
        var total = latchkey.Succeeded + latchkey.ErrorCount;
        var errorShare = total > 0 ? (double)latchkey.ErrorCount / total : 0;
        var note = errorShare > MaxErrorShare ? I($"{errorShare * 100:0.#}% errors") : "";
        return new TargetRow(target, I($"{latchkey.OpsPerSecond:0.0}/s"), I($"{limitName} {limit.OpsPerSecond:0.0}/s"),
            ratio is { } x ? I($"{x * 100:0.0}%") : "—", I($"≥ {goal * 100:0}%"),
            ratio is { } y ? y >= goal && errorShare <= MaxErrorShare : null, note);
    }

    private static TargetRow Beside(string target, PhaseResult latchkey, PhaseResult reference)
    {
        var ratio = reference.OpsPerSecond > 0 ? latchkey.OpsPerSecond / reference.OpsPerSecond : (double?)null;
        return new TargetRow(target, I($"{latchkey.OpsPerSecond:0.0}/s, p99 {Ms(latchkey.P99Ms)}"),
            I($"/token {reference.OpsPerSecond:0.0}/s, p99 {Ms(reference.P99Ms)}"), ratio is { } x ? I($"{x * 100:0.0}%") : "—", "—", null,
            latchkey.ErrorCount > 0 ? I($"{latchkey.ErrorCount} errors") + Report.ErrorDetail(latchkey) : "");
    }

    private static TargetRow Memory(NodeResults node, CeilingResults ceiling)
    {
        var seconds = node.Mixed.Duration.TotalSeconds;
        var target = seconds >= 60 ? "RSS after 60 s of mixed load ≤ 1.5× the ceiling app's" : I($"RSS after mixed load ≤ 1.5× the ceiling app's (only {seconds:0} s: the target is 60 s)");
        var ratio = node.Mixed.RssAfter is { } a && ceiling.Mixed.RssAfter is { } c && c > 0 ? (double)a / c : (double?)null;
        return new TargetRow(target, I($"{MixedLoad.Mb(node.Mixed.RssAfter)} (peak {MixedLoad.Mb(node.Mixed.RssPeak)})"),
            I($"ceiling {MixedLoad.Mb(ceiling.Mixed.RssAfter)} (peak {MixedLoad.Mb(ceiling.Mixed.RssPeak)})"),
            ratio is { } x ? I($"{x:0.00}×") : "—", "≤ 1.50×", ratio is { } y ? y <= 1.5 : null);
    }

    private static IEnumerable<TargetRow> OverloadRows(OverloadResult? o)
    {
        if (o is null)
        {
            yield return new TargetRow("overload (4× the sustainable login rate)", "not run", "—", "—", "—", null, "login, refresh or JWKS managed nothing");
            yield break;
        }
        var refusals = o.RefusalLatencies;
        var p99 = refusals.Length > 0 ? refusals[Math.Clamp((int)Math.Ceiling(0.99 * refusals.Length) - 1, 0, refusals.Length - 1)] : double.NaN;
        var missing = o.RefusalsWithoutRetryAfter;
        yield return new TargetRow(
            I($"overload: logins at 4× {o.SustainableLogins:0.0}/s answer 429 with Retry-After, p99 < 50 ms"),
            refusals.Length == 0 ? "no 429 at all" : I($"429 p99 {Ms(p99)}, {refusals.Length / o.FloodLogins.Window.TotalSeconds:0.0}/s") + (missing > 0 ? I($", {missing} without Retry-After") : ""),
            I($"offered {o.FloodLogins.OfferedPerSecond:0}/s"), "—", "< 50 ms",
            refusals.Length > 0 && missing == 0 && p99 < 50,
            Overload.Describe(o.FloodLogins));
        yield return Keeps("overload: refresh keeps ≥ 80% of its rate alone while logins are saturated", o.FloodRefresh, o.SoloRefresh);
        yield return Keeps("overload: JWKS keeps ≥ 80% of its rate alone while logins are saturated", o.FloodJwks, o.SoloJwks);
    }

    private static TargetRow Keeps(string target, StreamResult flood, StreamResult solo)
    {
        var alone = solo.PerSecond(OpenLoop.Ok);
        var ratio = alone > 0 ? flood.PerSecond(OpenLoop.Ok) / alone : (double?)null;
        return new TargetRow(target, I($"{flood.PerSecond(OpenLoop.Ok):0.0}/s, p99 {Ms(flood.P99(OpenLoop.Ok))}"),
            I($"alone {alone:0.0}/s, p99 {Ms(solo.P99(OpenLoop.Ok))} (offered {solo.OfferedPerSecond:0}/s)"),
            ratio is { } x ? I($"{x * 100:0.0}%") : "—", "≥ 80%", ratio is { } y ? y >= 0.80 : null,
            flood.Outcomes.Any(o => o != OpenLoop.Ok) ? "with logins: " + Overload.Describe(flood) : "");
    }

    public static string Ms(double ms) => double.IsNaN(ms) ? "—" : (ms < 10 ? ms.ToString("0.00", CultureInfo.InvariantCulture) : ms.ToString("0.0", CultureInfo.InvariantCulture)) + " ms";

    private static string I(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
