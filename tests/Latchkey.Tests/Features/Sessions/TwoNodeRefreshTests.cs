using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.Sessions;

/// <summary>
/// Two server processes on one PostgreSQL: refresh races and reuse detection are decided by the
/// database, not by either node's memory (MISSION X4).
/// </summary>
public sealed class TwoNodeRefreshTests
{
    [Fact]
    public async Task Two_nodes_agree_on_refresh_races_reuse_and_revocation()
    {
        var ct = TestContext.Current.CancellationToken;
        var database = TestDatabase.Create("postgres");
        // Note: nodes of one deployment share a public URL (the load balancer's), so each takes the other's tokens.
        var shared = new Dictionary<string, string> { ["LATCHKEY_PUBLIC_URL"] = "http://latchkey.test" };
        await using var nodeA = await ServerProcess.StartAsync(database, ct, shared);
        await using var nodeB = await ServerProcess.StartAsync(database, ct, shared);
        using var a = nodeA.CreateClient();
        using var b = nodeB.CreateClient();

        var admin = await Json(await a.PostAsJsonAsync("/v1/apps/console/login",
            new { handle = LatchkeyFactory.AdminEmail, password = LatchkeyFactory.AdminPassword }, ct));
        using var create = new HttpRequestMessage(HttpMethod.Post, "/v1/admin/apps") { Content = JsonContent.Create(new { id = "two-nodes", name = "Two nodes", settings = new { accessMode = "open", signupFlow = "none" } }) };
        create.Headers.Authorization = new AuthenticationHeaderValue("Bearer", admin["access_token"]!.GetValue<string>());
        (await b.SendAsync(create, ct)).EnsureSuccessStatusCode();
        var first = await Json(await a.PostAsJsonAsync("/v1/apps/two-nodes/signup", new { email = "race@example.com", password = ApiTest.GoodPassword }, ct));
        var token = first["refresh_token"]!.GetValue<string>();

        // A mobile client's retry storm, spread over both nodes at once.
        var answers = await Task.WhenAll(Enumerable.Range(0, 12).Select(i =>
            (i % 2 == 0 ? a : b).PostAsJsonAsync("/v1/apps/two-nodes/token", new { refresh_token = token }, ct)));
        var bodies = await Task.WhenAll(answers.Select(Json));
        var successor = Assert.Single(bodies.Select(x => x["refresh_token"]!.GetValue<string>()).Distinct());

        var next = await Json(await b.PostAsJsonAsync("/v1/apps/two-nodes/token", new { refresh_token = successor }, ct));
        var replay = await a.PostAsJsonAsync("/v1/apps/two-nodes/token", new { refresh_token = token }, ct);
        Assert.Equal(HttpStatusCode.Unauthorized, replay.StatusCode);
        Assert.Equal("refresh_token_reused", JsonNode.Parse(await replay.Content.ReadAsStringAsync(ct))!["code"]!.GetValue<string>());

        using var me = new HttpRequestMessage(HttpMethod.Get, "/v1/apps/two-nodes/me");
        me.Headers.Authorization = new AuthenticationHeaderValue("Bearer", next["access_token"]!.GetValue<string>());
        var afterRevoke = await b.SendAsync(me, ct);
        Assert.Equal(HttpStatusCode.Unauthorized, afterRevoke.StatusCode);
        Assert.Equal("session_revoked", JsonNode.Parse(await afterRevoke.Content.ReadAsStringAsync(ct))!["code"]!.GetValue<string>());
    }

    private static async Task<JsonObject> Json(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!.AsObject();
    }
}
