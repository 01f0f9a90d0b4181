using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;

namespace Latchkey.Bench;

/// <summary>
/// The link flow across two nodes: a client waits on node A (GET /signup/{id}?wait=N) while the
/// person confirms the link on node B. Measured: from the confirmation's answer to the waiting
/// request's tokens. On PostgreSQL node B's NOTIFY wakes node A; on SQLite (two processes on one
/// file) node A finds it on its next re-read of the database (every 2 s).
/// </summary>
public static class LinkWakeup
{
    private const string AppId = "bench-link";
    private const int Rounds = 12;

    public static async Task<PhaseResult> MeasureAsync(ServerProcess nodeA, BenchDatabase db, BenchOptions options, string keysDir, CancellationToken ct)
    {
        var nodeBDir = Directory.CreateDirectory(Path.Combine(db.WorkDir, "node-b")).FullName;
        await using var nodeB = await ServerProcess.StartAsync(options.ServerDll, db.ServerConnectionString, nodeBDir, ct, keysDir);
        using var a = new HttpClient { BaseAddress = nodeA.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        using var b = new HttpClient { BaseAddress = nodeB.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        var admin = await AdminTokenAsync(a, ct);
        using (var create = new HttpRequestMessage(HttpMethod.Post, "v1/admin/apps")
        {
            Content = JsonContent.Create(new { id = AppId, name = "Link wake-up", settings = new { accessMode = "registered", signupFlow = "link" } }),
        })
        {
            create.Headers.Authorization = new("Bearer", admin);
            (await a.SendAsync(create, ct)).EnsureSuccessStatusCode();
        }

        var latencies = new List<double>();
        var errors = new Dictionary<string, long>();
        var total = Stopwatch.StartNew();
        for (var round = 0; round < Rounds; round++)
        {
            var email = $"link{round}@bench.example";
            using var signup = await a.PostAsJsonAsync($"v1/apps/{AppId}/signup", new { email, password = $"bench-passphrase-link-{round}" }, ct);
            var verificationId = (await signup.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("verificationId").GetString();
            using var outbox = new HttpRequestMessage(HttpMethod.Get, $"v1/admin/apps/{AppId}/outbox?to={Uri.EscapeDataString(email)}&limit=1");
            outbox.Headers.Authorization = new("Bearer", admin);
            var link = new Uri((await (await a.SendAsync(outbox, ct)).Content.ReadFromJsonAsync<JsonElement>(ct))[0].GetProperty("link").GetString()!);

            var waiting = a.GetAsync($"v1/apps/{AppId}/signup/{verificationId}?wait=15", ct);
            // Let the wait park on node A before the link is confirmed on node B.
            await Task.Delay(300, ct);
            using var confirmed = await b.PostAsync(link.PathAndQuery, null, ct);
            var sinceConfirmed = Stopwatch.StartNew();
            using var answer = await waiting;
            sinceConfirmed.Stop();
            if (confirmed.IsSuccessStatusCode && (int)answer.StatusCode == 200)
            {
                latencies.Add(sinceConfirmed.Elapsed.TotalMilliseconds);
            }
            else
            {
                var label = $"confirm {(int)confirmed.StatusCode}, wait {(int)answer.StatusCode}";
                errors[label] = errors.GetValueOrDefault(label) + 1;
            }
        }
        await nodeB.StopAsync();
        latencies.Sort();
        return new PhaseResult("link wake-up, 2 nodes (ms from confirm on B to tokens on A)", 1, total.Elapsed, latencies.Count,
            Percentile(latencies, 0.50), Percentile(latencies, 0.99), errors, null);
    }

    private static async Task<string> AdminTokenAsync(HttpClient http, CancellationToken ct)
    {
        using var login = await http.PostAsJsonAsync("v1/apps/console/login",
            new { handle = ServerProcess.AdminEmail, password = ServerProcess.AdminPassword }, ct);
        login.EnsureSuccessStatusCode();
        return (await login.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("access_token").GetString()!;
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
}
