using System.Net;
using Latchkey.Tests.Features.Nodes;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.Oidc;

/// <summary>
/// X1 on two nodes sharing the databases and the master key: nothing of the provider lives in one
/// node's memory. The page comes from one node and is posted to the other (antiforgery), the code
/// minted there is redeemed on the first, its replay is caught on the second, the refresh goes on
/// either, and the browser session made by one node signs in on the other.
/// </summary>
public abstract class OidcTwoNodeTests(ServerFixture fixture) : OidcTest(fixture)
{
    private const string Redirect = "com.example.app:/oauth/callback";

    [Fact]
    public async Task A_code_minted_on_one_node_is_redeemed_on_the_other_and_works_once()
    {
        var (app, email) = await AppWithClientAndUserAsync("native");
        await using var two = Nodes.Nodes.SecondNode(Factory, out _);
        using var one = Nodes.Nodes.PlainClient(Factory);
        using var other = Nodes.Nodes.PlainClient(two);
        var (verifier, challenge) = OidcBrowser.Pkce();
        var authorize = $"/v1/apps/{app}/oauth/authorize" + OidcBrowser.AuthorizeQuery("native", Redirect, challenge);

        var page = await one.GetAsync(authorize, Ct);
        var fields = OidcBrowser.HiddenFields(await page.Content.ReadAsStringAsync(Ct))
            .Append(new("lk_handle", email)).Append(new("lk_password", GoodPassword)).ToList();
        using var post = new HttpRequestMessage(HttpMethod.Post, authorize) { Content = new FormUrlEncodedContent(fields) };
        post.Headers.Add("Cookie", Nodes.Nodes.CookiesOf(page));
        var signedIn = await other.SendAsync(post, Ct);
        var code = OidcBrowser.RedirectParameters(signedIn, Redirect)["code"];

        var token = $"/v1/apps/{app}/oauth/token";
        var redeemed = await one.PostAsync(token, new FormUrlEncodedContent(CodeExchange("native", code, verifier)), Ct);
        Assert.True(redeemed.StatusCode == HttpStatusCode.OK, await redeemed.Content.ReadAsStringAsync(Ct));
        var tokens = System.Text.Json.Nodes.JsonNode.Parse(await redeemed.Content.ReadAsStringAsync(Ct))!.AsObject();
        var replayed = await other.PostAsync(token, new FormUrlEncodedContent(CodeExchange("native", code, verifier)), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, replayed.StatusCode);
        Assert.Contains("invalid_grant", await replayed.Content.ReadAsStringAsync(Ct));
        // The replay ended the session on both nodes.
        var refresh = new Dictionary<string, string> { ["grant_type"] = "refresh_token", ["client_id"] = "native", ["refresh_token"] = Str(tokens, "refresh_token") };
        Assert.Equal(HttpStatusCode.BadRequest, (await one.PostAsync(token, new FormUrlEncodedContent(refresh), Ct)).StatusCode);

        // The browser session made on the second node signs in on the first without a password.
        using var silent = new HttpRequestMessage(HttpMethod.Get, $"/v1/apps/{app}/oauth/authorize" + OidcBrowser.AuthorizeQuery("native", Redirect, challenge, extra: "&prompt=none"));
        silent.Headers.Add("Cookie", Nodes.Nodes.CookiesOf(signedIn));
        var again = OidcBrowser.RedirectParameters(await one.SendAsync(silent, Ct), Redirect);
        Assert.True(again.ContainsKey("code"), string.Join('&', again.Select(p => $"{p.Key}={p.Value}")));
        var fresh = await other.PostAsync(token, new FormUrlEncodedContent(CodeExchange("native", again["code"], verifier)), Ct);
        Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
        var next = System.Text.Json.Nodes.JsonNode.Parse(await fresh.Content.ReadAsStringAsync(Ct))!.AsObject();
        var rotated = await one.PostAsync(token, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token", ["client_id"] = "native", ["refresh_token"] = Str(next, "refresh_token"),
        }), Ct);
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
    }
}

[Collection(SqliteCollection.Name)]
public sealed class OidcTwoNodeTests_Sqlite(SqliteServer server) : OidcTwoNodeTests(server);

[Collection(PostgresCollection.Name)]
public sealed class OidcTwoNodeTests_Postgres(PostgresServer server) : OidcTwoNodeTests(server);
