using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Latchkey.Tests.Features.Tokens;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.Oidc;

/// <summary>
/// X1's "done when": certified clients unchanged against real server processes. npm
/// <c>openid-client</c> and AppAuth-JS run the code flow with the sign-in page filled in Debian's
/// Chromium (tests/js/oidc-relying-party.mjs), and two processes on one database share codes,
/// browser sessions and refresh tokens: authorized on one, redeemed and refreshed on the other.
/// Runs once per database.
/// </summary>
public abstract class OidcRelyingPartyTests(string provider)
{
    private const string App = "rp-check";
    private const string Email = "relying.party@example.com";

    [Fact]
    public async Task Certified_clients_run_against_the_provider_and_a_second_process_redeems_and_refreshes()
    {
        var ct = TestContext.Current.CancellationToken;
        Assert.True(File.Exists("/usr/bin/chromium"), "/usr/bin/chromium is missing: ./test.sh installs Debian's chromium.");
        var database = TestDatabase.Create(provider);
        await using var first = await ServerProcess.StartAsync(database, ct);
        var publicUrl = first.BaseAddress.ToString().TrimEnd('/');
        await using var second = await ServerProcess.StartAsync(database, ct, new Dictionary<string, string> { ["LATCHKEY_PUBLIC_URL"] = publicUrl });
        using var api = first.CreateClient();
        var loopback = $"http://127.0.0.1:{ServerProcess.FreePort()}";
        var secret = await SetUpAsync(api, loopback, ct);

        var issuer = $"{publicUrl}/v1/apps/{App}";
        var output = await IndependentVerificationTests.RunNodeAsync("oidc-relying-party.mjs", ct, issuer, JsonSerializer.Serialize(new
        {
            email = Email, password = ApiTest.GoodPassword, native = "native", second = "second",
            confidential = new { id = "backend", secret, scope = "reports.read" },
            redirectUri = $"{loopback}/callback", postLogoutRedirectUri = $"{loopback}/signed-out",
        }));
        var result = JsonNode.Parse(output)!;
        var summary = $"node run: {output}";
        Assert.True(result["error"] is null, summary);
        var steps = result["steps"]!;
        Assert.Equal(issuer, Str(steps["discovery"]!, "issuer"));
        Assert.Equal("native", Str(steps["code"]!, "aud"));
        Assert.Equal(Email, Str(steps["code"]!, "email"));
        Assert.True(steps["code"]!["hasRefresh"]!.GetValue<bool>(), summary);
        Assert.Equal(["pwd"], steps["code"]!["amr"]!.AsArray().Select(a => a!.GetValue<string>()));
        Assert.Equal("ES256", Str(steps["idToken"]!, "alg"));
        Assert.Equal(Email, Str(steps["userinfo"]!, "email"));
        Assert.True(steps["refresh"]!["rotated"]!.GetValue<bool>(), summary);
        Assert.True(steps["refresh"]!["retrySameSuccessor"]!.GetValue<bool>(), summary);
        Assert.True(steps["promptNone"]!["sameUser"]!.GetValue<bool>(), summary);
        Assert.Equal("second", Str(steps["promptNone"]!, "aud"));
        Assert.False(steps["promptNone"]!["hasRefresh"]!.GetValue<bool>(), summary);
        Assert.Equal("400 invalid_grant", Str(steps["revocation"]!, "refreshAfter"));
        Assert.Equal("backend", Str(steps["clientCredentials"]!, "sub"));
        Assert.Equal("reports.read", Str(steps["clientCredentials"]!, "scope"));
        Assert.True(steps["clientCredentials"]!["active"]!.GetValue<bool>(), summary);
        Assert.True(steps["endSession"]!["state"]!.GetValue<bool>(), summary);
        // The logout ended the second client's session: its access token is refused at userinfo.
        Assert.StartsWith("401 ", Str(steps["endSession"]!, "userinfoAfter"));
        Assert.Equal(Str(steps["code"]!, "sub"), Str(steps["appauth"]!, "sub"));
        Assert.True(steps["appauth"]!["nonce"]!.GetValue<bool>(), summary);
        Assert.True(steps["appauth"]!["refreshed"]!.GetValue<bool>(), summary);
        Assert.Equal("400 invalid_grant", Str(steps["appauth"]!, "afterRevoke"));

        await AuthorizeOnOneRedeemOnTheOtherAsync(first, second, loopback, ct);
    }

    /// <summary>The sign-in page served and posted on the first process; the code, its replay and the refresh on the second.</summary>
    private static async Task AuthorizeOnOneRedeemOnTheOtherAsync(ServerProcess first, ServerProcess second, string loopback, CancellationToken ct)
    {
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() })
        {
            BaseAddress = first.BaseAddress,
        };
        var (verifier, challenge) = OidcBrowser.Pkce();
        var redirectUri = $"{loopback}/callback";
        var authorize = $"/v1/apps/{App}/oauth/authorize" + OidcBrowser.AuthorizeQuery("native", redirectUri, challenge);
        var page = await browser.GetStringAsync(authorize, ct);
        var fields = OidcBrowser.HiddenFields(page);
        fields.Add(new("lk_handle", Email));
        fields.Add(new("lk_password", ApiTest.GoodPassword));
        var signedIn = await browser.PostAsync(authorize, new FormUrlEncodedContent(fields), ct);
        var code = OidcBrowser.RedirectParameters(signedIn, redirectUri)["code"];

        var exchange = new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code", ["client_id"] = "native", ["code"] = code, ["redirect_uri"] = redirectUri, ["code_verifier"] = verifier,
        };
        var tokens = await FormAsync(second, $"/v1/apps/{App}/oauth/token", exchange, HttpStatusCode.OK, ct);
        var replay = await FormAsync(first, $"/v1/apps/{App}/oauth/token", exchange, HttpStatusCode.BadRequest, ct);
        Assert.Equal("invalid_grant", Str(replay, "error"));
        // The replay on the first process ended the session the second one started.
        var refreshed = await FormAsync(second, $"/v1/apps/{App}/oauth/token", new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token", ["client_id"] = "native", ["refresh_token"] = Str(tokens, "refresh_token"),
        }, HttpStatusCode.BadRequest, ct);
        Assert.Equal("invalid_grant", Str(refreshed, "error"));

        // A fresh code: redeemed on the second process, refreshed there, the successor's retry answered by the first.
        var again = await browser.GetAsync(authorize.Replace("state-1", "state-2", StringComparison.Ordinal), ct);
        var code2 = OidcBrowser.RedirectParameters(again, redirectUri)["code"];
        var tokens2 = await FormAsync(second, $"/v1/apps/{App}/oauth/token", new Dictionary<string, string>(exchange) { ["code"] = code2 }, HttpStatusCode.OK, ct);
        var refresh = new Dictionary<string, string> { ["grant_type"] = "refresh_token", ["client_id"] = "native", ["refresh_token"] = Str(tokens2, "refresh_token") };
        var next = await FormAsync(second, $"/v1/apps/{App}/oauth/token", refresh, HttpStatusCode.OK, ct);
        var retried = await FormAsync(first, $"/v1/apps/{App}/oauth/token", refresh, HttpStatusCode.OK, ct);
        Assert.Equal(Str(next, "refresh_token"), Str(retried, "refresh_token"));
    }

    /// <summary>The app, its clients and the user, through the admin API of the first process; answers the confidential client's secret.</summary>
    private static async Task<string> SetUpAsync(HttpClient api, string loopback, CancellationToken ct)
    {
        var admin = Str(await JsonAsync(await api.PostAsJsonAsync("/v1/apps/console/login",
            new { handle = LatchkeyFactory.AdminEmail, password = LatchkeyFactory.AdminPassword }, ct)), "access_token");
        async Task<JsonObject> AdminPostAsync(string path, object body)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", admin);
            return await JsonAsync(await api.SendAsync(request, ct));
        }
        await AdminPostAsync("/v1/admin/apps", new { id = App, name = "Relying party check", settings = new { accessMode = "open", signupFlow = "none" } });
        // RFC 8252 §7.3: the loopback redirect is registered without a port; the client picks one when it runs.
        foreach (var id in new[] { "native", "second" })
        {
            await AdminPostAsync($"/v1/admin/apps/{App}/clients", new
            {
                clientId = id, name = id, type = "public", redirectUris = new[] { "http://127.0.0.1/callback" },
                postLogoutRedirectUris = new[] { $"{loopback}/signed-out" },
            });
        }
        var backend = await AdminPostAsync($"/v1/admin/apps/{App}/clients", new
        {
            clientId = "backend", name = "Backend", type = "confidential", redirectUris = new[] { "https://backend.example.com/cb" },
            scopes = new[] { "reports.read", "reports.write" },
        });
        await JsonAsync(await api.PostAsJsonAsync($"/v1/apps/{App}/signup", new { email = Email, password = ApiTest.GoodPassword }, ct));
        return Str(backend, "clientSecret");
    }

    private static async Task<JsonObject> FormAsync(ServerProcess node, string path, Dictionary<string, string> form, HttpStatusCode expected, CancellationToken ct)
    {
        using var client = node.CreateClient();
        var response = await client.PostAsync(path, new FormUrlEncodedContent(form), ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        Assert.True(response.StatusCode == expected, $"{path} on {node.BaseAddress}: {(int)response.StatusCode} {body}");
        return JsonNode.Parse(body)!.AsObject();
    }

    private static async Task<JsonObject> JsonAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{response.RequestMessage?.RequestUri}: {(int)response.StatusCode} {body}");
        return JsonNode.Parse(body)!.AsObject();
    }

    private static string Str(JsonNode node, string name) => node[name]?.GetValue<string>() ?? throw new InvalidOperationException($"No {name} in {node.ToJsonString()}");
}

public sealed class OidcRelyingPartyTests_Sqlite() : OidcRelyingPartyTests("sqlite");

public sealed class OidcRelyingPartyTests_Postgres() : OidcRelyingPartyTests("postgres");
