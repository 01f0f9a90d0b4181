using System.Net;
using System.Text.Json.Nodes;
using Latchkey.Tests.Infrastructure;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Latchkey.Tests.Features.Oidc;

/// <summary>
/// X1: what clients do with tokens besides the code flow: a confidential client's own token
/// (<c>client_credentials</c>), introspection and revocation by clients, and the scopes a client's
/// session was granted, which its access token names and userinfo honours.
/// </summary>
public abstract class OidcClientTokenTests(ServerFixture fixture) : OidcTest(fixture)
{
    [Fact]
    public async Task A_confidential_client_gets_a_token_of_its_own_that_names_no_user()
    {
        var app = await CreateAppAsync();
        var secret = await ConfidentialAsync(app, "reports", scopes: ["reports.read", "reports.write"]);
        await RegisterAsync(app, "native", NativeRedirect);
        using var browser = new OidcBrowser(Factory);
        var token = $"/v1/apps/{app}/oauth/token";

        var (ok, issued) = await browser.TokenAsync(token, new Dictionary<string, string> { ["grant_type"] = "client_credentials" }, Ct,
            basic: ("reports", secret));
        Assert.True(ok == HttpStatusCode.OK, issued.ToJsonString());
        Assert.Equal("reports.read reports.write", Str(issued, "scope"));
        Assert.Null(issued["refresh_token"]);
        Assert.Null(issued["id_token"]);
        var jwt = new JsonWebToken(Str(issued, "access_token"));
        Assert.Equal("reports", jwt.Subject);
        Assert.Equal("reports", jwt.GetClaim("client_id").Value);
        Assert.False(jwt.TryGetClaim("sid", out _));
        Assert.Equal("at+jwt", jwt.Typ);

        // It is not a user's: Latchkey's user endpoints refuse it; introspection describes the client.
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync($"/v1/apps/{app}/me", Str(issued, "access_token"))).StatusCode);
        var described = await IntrospectAsync(browser, app, Str(issued, "access_token"), ("reports", secret));
        Assert.True(described["active"]!.GetValue<bool>(), described.ToJsonString());
        Assert.Equal("reports", Str(described, "client_id"));
        Assert.Equal("reports.read reports.write", Str(described, "scope"));

        var (_, narrowed) = await browser.TokenAsync(token, new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = "reports", ["client_secret"] = secret, ["scope"] = "reports.read",
        }, Ct);
        Assert.Equal("reports.read", Str(narrowed, "scope"));
        foreach (var (scope, why) in new[] { ("reports.delete", "not one of this client's"), ("openid", "about a user") })
        {
            var (status, refused) = await browser.TokenAsync(token, new Dictionary<string, string>
            {
                ["grant_type"] = "client_credentials", ["scope"] = scope,
            }, Ct, basic: ("reports", secret));
            Assert.Equal(HttpStatusCode.BadRequest, status);
            Assert.Equal("invalid_scope", Str(refused, "error"));
            Assert.Contains(why, Str(refused, "error_description"));
        }
        var (_, wrongSecret) = await browser.TokenAsync(token, new Dictionary<string, string> { ["grant_type"] = "client_credentials" }, Ct,
            basic: ("reports", secret + "x"));
        Assert.Equal("invalid_client", Str(wrongSecret, "error"));
        var (_, publicClient) = await browser.TokenAsync(token, new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = "native",
        }, Ct);
        Assert.Equal("invalid_request", Str(publicClient, "error"));

        // A rotated secret works at once, and the old one no longer does.
        var rotated = Str(await OkJsonAsync(await PostAsync($"/v1/admin/apps/{app}/clients/reports/secret", new { }, await AdminTokenAsync())), "clientSecret");
        var (_, oldSecret) = await browser.TokenAsync(token, new Dictionary<string, string> { ["grant_type"] = "client_credentials" }, Ct,
            basic: ("reports", secret));
        Assert.Equal("invalid_client", Str(oldSecret, "error"));
        var (newStatus, _) = await browser.TokenAsync(token, new Dictionary<string, string> { ["grant_type"] = "client_credentials" }, Ct,
            basic: ("reports", rotated));
        Assert.Equal(HttpStatusCode.OK, newStatus);
        secret = rotated;

        // A deleted client's tokens are inactive from then on, and cannot be revoked (they are JWTs that expire).
        var (revokeStatus, revoke) = await PostFormAsync(browser, app, "revoke", ("reports", secret), ("token", Str(issued, "access_token")));
        Assert.Equal(HttpStatusCode.BadRequest, revokeStatus);
        Assert.Equal("unsupported_token_type", Str(revoke, "error"));
        var other = await ConfidentialAsync(app, "auditor");
        Assert.Equal(HttpStatusCode.NoContent, (await DeleteAsync($"/v1/admin/apps/{app}/clients/reports", await AdminTokenAsync())).StatusCode);
        var gone = await IntrospectAsync(browser, app, Str(issued, "access_token"), ("auditor", other));
        Assert.False(gone["active"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Clients_revoke_their_own_tokens_and_only_those_and_only_confidential_ones_introspect()
    {
        var (app, email) = await AppWithClientAndUserAsync("native");
        await RegisterAsync(app, "other", "com.example.other:/cb");
        using var browser = new OidcBrowser(Factory);
        var mine = await SignInAsync(browser, app, "native", NativeRedirect, email);
        using var otherBrowser = new OidcBrowser(Factory);
        var theirs = await SignInAsync(otherBrowser, app, "other", "com.example.other:/cb", email);

        // A public client names itself in the form (RFC 7009 §5); another client's token is left alone.
        var (leftAlone, _) = await PostFormAsync(browser, app, "revoke", null, ("client_id", "native"), ("token", Str(theirs, "refresh_token")));
        Assert.Equal(HttpStatusCode.OK, leftAlone);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync($"/v1/apps/{app}/me", Str(theirs, "access_token"))).StatusCode);
        var (revoked, _) = await PostFormAsync(browser, app, "revoke", null, ("client_id", "native"), ("token", Str(mine, "refresh_token")));
        Assert.Equal(HttpStatusCode.OK, revoked);
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync($"/v1/apps/{app}/me", Str(mine, "access_token"))).StatusCode);

        var (withSecret, refusedSecret) = await PostFormAsync(browser, app, "revoke", null,
            ("client_id", "native"), ("client_secret", "guess"), ("token", Str(theirs, "refresh_token")));
        Assert.Equal(HttpStatusCode.Unauthorized, withSecret);
        Assert.Equal("invalid_client", Str(refusedSecret, "error"));
        var (unknown, _) = await PostFormAsync(browser, app, "revoke", null, ("client_id", "nobody"), ("token", Str(theirs, "refresh_token")));
        Assert.Equal(HttpStatusCode.Unauthorized, unknown);
        var (introspect, publicRefused) = await PostFormAsync(browser, app, "introspect", null, ("client_id", "other"), ("token", Str(theirs, "access_token")));
        Assert.Equal(HttpStatusCode.BadRequest, introspect);
        Assert.Equal("unauthorized_client", Str(publicRefused, "error"));

        // A confidential client introspects the app's tokens; the session's client and scopes are named.
        var secret = await ConfidentialAsync(app, "backend");
        var active = await IntrospectAsync(browser, app, Str(theirs, "access_token"), ("backend", secret));
        Assert.True(active["active"]!.GetValue<bool>(), active.ToJsonString());
        Assert.Equal("other", Str(active, "client_id"));
        Assert.Equal("openid email offline_access", Str(active, "scope"));
        Assert.False((await IntrospectAsync(browser, app, Str(mine, "access_token"), ("backend", secret)))["active"]!.GetValue<bool>());
    }

    [Fact]
    public async Task The_access_token_names_the_granted_scopes_and_userinfo_answers_only_their_claims()
    {
        var app = await CreateAppAsync();
        await RegisterAsync(app, "native", NativeRedirect);
        var email = NewEmail();
        await SignUpAsync(app, email);
        using var browser = new OidcBrowser(Factory);
        var phoneless = await SignInAsync(browser, app, "native", NativeRedirect, email, scope: "openid profile offline_access");
        Assert.Equal("openid profile offline_access", new JsonWebToken(Str(phoneless, "access_token")).GetClaim("scope").Value);
        var info = await OkJsonAsync(await GetAsync($"/v1/apps/{app}/oauth/userinfo", Str(phoneless, "access_token")));
        Assert.Null(info["email"]);
        Assert.NotNull(info["sub"]);

        // The scopes stay with the session across refreshes.
        var (_, next) = await browser.TokenAsync($"/v1/apps/{app}/oauth/token", new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token", ["client_id"] = "native", ["refresh_token"] = Str(phoneless, "refresh_token"),
        }, Ct);
        Assert.Equal("openid profile offline_access", Str(next, "scope"));
        Assert.Equal("openid profile offline_access", new JsonWebToken(Str(next, "access_token")).GetClaim("scope").Value);

        // Without openid, userinfo is not the client's (OIDC Core §5.3); the JSON API's own tokens name no scope and see every claim.
        using var otherBrowser = new OidcBrowser(Factory);
        var plain = await SignInAsync(otherBrowser, app, "native", NativeRedirect, email, scope: "email offline_access");
        var refused = await GetAsync($"/v1/apps/{app}/oauth/userinfo", Str(plain, "access_token"));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("insufficient_scope", refused.Headers.WwwAuthenticate.ToString());
        var api = await OkJsonAsync(await PostAsync($"/v1/apps/{app}/login", new { handle = email, password = GoodPassword }));
        Assert.False(new JsonWebToken(Str(api, "access_token")).TryGetClaim("scope", out _));
        Assert.Equal(email, Str(await OkJsonAsync(await GetAsync($"/v1/apps/{app}/oauth/userinfo", Str(api, "access_token"))), "email"));
    }

    private async Task<JsonObject> SignInAsync(OidcBrowser browser, string app, string clientId, string redirectUri, string email,
        string scope = "openid email offline_access")
    {
        var (verifier, challenge) = OidcBrowser.Pkce();
        var authorize = $"/v1/apps/{app}/oauth/authorize" + OidcBrowser.AuthorizeQuery(clientId, redirectUri, challenge, scope);
        var code = OidcBrowser.RedirectParameters(await browser.SignInAsync(await browser.GetAsync(authorize, Ct), authorize, email, GoodPassword, Ct),
            redirectUri)["code"];
        var (status, tokens) = await browser.TokenAsync($"/v1/apps/{app}/oauth/token", CodeExchange(clientId, code, verifier, redirectUri), Ct);
        Assert.True(status == HttpStatusCode.OK, tokens.ToJsonString());
        return tokens;
    }

    private async Task<string> ConfidentialAsync(string app, string clientId, string[]? scopes = null) =>
        Str(await OkJsonAsync(await PostAsync($"/v1/admin/apps/{app}/clients", new
        {
            clientId, name = clientId, type = "confidential", redirectUris = new[] { "https://app.example.com/cb" }, scopes,
        }, await AdminTokenAsync())), "clientSecret");

    private async Task<JsonObject> IntrospectAsync(OidcBrowser browser, string app, string token, (string, string) client)
    {
        var (status, body) = await PostFormAsync(browser, app, "introspect", client, ("token", token));
        Assert.True(status == HttpStatusCode.OK, body.ToJsonString());
        return body;
    }

    private async Task<(HttpStatusCode Status, JsonObject Body)> PostFormAsync(OidcBrowser browser, string app, string endpoint,
        (string, string)? basic, params (string Name, string Value)[] fields)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/apps/{app}/oauth/{endpoint}")
        {
            Content = new FormUrlEncodedContent(fields.Select(f => KeyValuePair.Create(f.Name, f.Value))),
        };
        if (basic is var (id, secret))
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic",
                Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{id}:{secret}")));
        }
        var response = await browser.Http.SendAsync(request, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        return (response.StatusCode, text.Length == 0 ? new JsonObject() : JsonNode.Parse(text)!.AsObject());
    }
}

[Collection(SqliteCollection.Name)]
public sealed class OidcClientTokenTests_Sqlite(SqliteServer server) : OidcClientTokenTests(server);

[Collection(PostgresCollection.Name)]
public sealed class OidcClientTokenTests_Postgres(PostgresServer server) : OidcClientTokenTests(server);
