using System.Net;
using System.Text;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.Oidc;

/// <summary>
/// X1: each bad authorization or token request is refused the standard way: an error redirect
/// once the client and its redirect URI are trusted, an error page (never a redirect) before, and
/// RFC 6749 error bodies at the token endpoint. No input answers a 500.
/// </summary>
public abstract class OidcBadInputTests(ServerFixture fixture) : OidcTest(fixture)
{
    private const string Web = "https://app.example.com/cb";

    public static TheoryData<string> UntrustedRedirects => new()
    {
        "https://APP.example.com/cb/",
        "https://app.example.com/CB",
        "https://app.example.com/cb/",
        "https://app.example.com/cb/more",
        "https://evil@app.example.com/cb",
        "https://app.example.com/cb#fragment",
        "https://app.example.com:8443/cb",
        "http://app.example.com/cb",
        "https://evil.example.com/cb",
        "com.example.app:/oauth/callback",
        "not a uri",
    };

    [Theory]
    [MemberData(nameof(UntrustedRedirects))]
    public async Task A_redirect_uri_that_is_not_exactly_a_registered_one_gets_a_page_and_no_redirect(string redirectUri)
    {
        var app = await CreateAppAsync();
        await RegisterAsync(app, "web", Web);
        using var browser = new OidcBrowser(Factory);
        var response = await browser.GetAsync($"/v1/apps/{app}/oauth/authorize" + OidcBrowser.AuthorizeQuery("web", redirectUri, OidcBrowser.Pkce().Challenge), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("role=\"alert\"", await response.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task An_unknown_client_or_none_gets_a_page_and_no_redirect()
    {
        var app = await CreateAppAsync();
        await RegisterAsync(app, "web", Web);
        using var browser = new OidcBrowser(Factory);
        var challenge = OidcBrowser.Pkce().Challenge;
        foreach (var query in new[]
        {
            OidcBrowser.AuthorizeQuery("someone-else", Web, challenge),
            OidcBrowser.AuthorizeQuery(new string('x', 500), Web, challenge),
            $"?redirect_uri={Uri.EscapeDataString(Web)}&response_type=code&scope=openid&code_challenge={challenge}&code_challenge_method=S256",
            "",
        })
        {
            var response = await browser.GetAsync($"/v1/apps/{app}/oauth/authorize{query}", Ct);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Null(response.Headers.Location);
        }
        // A client of another app is unknown here.
        var other = await CreateAppAsync();
        var elsewhere = await browser.GetAsync($"/v1/apps/{other}/oauth/authorize" + OidcBrowser.AuthorizeQuery("web", Web, challenge), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, elsewhere.StatusCode);
        Assert.Null(elsewhere.Headers.Location);
    }

    [Theory]
    [InlineData("missing PKCE", "&code_challenge_method=S256", "invalid_request")]
    [InlineData("plain PKCE", "&code_challenge=abcdefghijklmnopqrstuvwxyzabcdefghijklmnopq&code_challenge_method=plain", "invalid_request")]
    [InlineData("implicit", "&response_type=token", "unsupported_response_type")]
    [InlineData("a scope the client may not ask for", "&scope=openid%20orders%3Awrite", "invalid_scope")]
    public async Task A_bad_request_from_a_trusted_client_goes_back_to_its_redirect_uri_with_the_error(string what, string parameters, string error)
    {
        var app = await CreateAppAsync();
        await RegisterAsync(app, "web", Web);
        using var browser = new OidcBrowser(Factory);
        var query = $"?client_id=web&redirect_uri={Uri.EscapeDataString(Web)}&state=s1";
        query += parameters.Contains("response_type") ? "" : "&response_type=code";
        query += parameters.Contains("scope") ? "" : "&scope=openid";
        query += parameters.Contains("code_challenge") ? "" : $"&code_challenge={OidcBrowser.Pkce().Challenge}&code_challenge_method=S256";
        var response = await browser.GetAsync($"/v1/apps/{app}/oauth/authorize{query}{parameters}", Ct);
        var answer = OidcBrowser.RedirectParameters(response, Web);
        Assert.True(answer["error"] == error, $"{what}: {response.Headers.Location}");
        Assert.Equal("s1", answer["state"]);
    }

    [Theory]
    [InlineData("state", 2049)]
    [InlineData("nonce", 513)]
    public async Task An_oversized_state_or_nonce_is_refused_to_the_redirect_uri(string parameter, int length)
    {
        var app = await CreateAppAsync();
        await RegisterAsync(app, "web", Web);
        using var browser = new OidcBrowser(Factory);
        var query = OidcBrowser.AuthorizeQuery("web", Web, OidcBrowser.Pkce().Challenge,
            state: parameter == "state" ? new string('s', length) : "s1", nonce: parameter == "nonce" ? new string('n', length) : "n1");
        var answer = OidcBrowser.RedirectParameters(await browser.GetAsync($"/v1/apps/{app}/oauth/authorize{query}", Ct), Web);
        Assert.Equal("invalid_request", answer["error"]);
    }

    [Fact]
    public async Task A_wrong_verifier_another_clients_code_and_another_apps_code_are_invalid_grants()
    {
        var (app, email) = await AppWithClientAndUserAsync("native");
        await RegisterAsync(app, "other-client", "com.example.other:/cb");
        var (otherApp, _) = await AppWithClientAndUserAsync("native");
        using var browser = new OidcBrowser(Factory);
        var (verifier, challenge) = OidcBrowser.Pkce();
        var authorize = $"/v1/apps/{app}/oauth/authorize" + OidcBrowser.AuthorizeQuery("native", "com.example.app:/oauth/callback", challenge);
        var code = OidcBrowser.RedirectParameters(await browser.SignInAsync(await browser.GetAsync(authorize, Ct), authorize, email, GoodPassword, Ct),
            "com.example.app:/oauth/callback")["code"];

        var token = $"/v1/apps/{app}/oauth/token";
        foreach (var (form, path, error) in new[]
        {
            (CodeExchange("native", code, OidcBrowser.Pkce().Verifier), token, "invalid_grant"),
            (CodeExchange("native", code, ""), token, "invalid_request"),
            (CodeExchange("other-client", code, verifier, "com.example.other:/cb"), token, "invalid_grant"),
            (CodeExchange("native", code, verifier, "com.example.app:/other"), token, "invalid_grant"),
            (CodeExchange("native", code, verifier), $"/v1/apps/{otherApp}/oauth/token", "invalid_grant"),
        })
        {
            var (status, body) = await browser.TokenAsync(path, form, Ct);
            Assert.True(status == HttpStatusCode.BadRequest, body.ToJsonString());
            Assert.True(Str(body, "error") == error, $"{path} {string.Join('&', form.Select(f => $"{f.Key}={f.Value}"))}: {body.ToJsonString()}");
        }
        // None of those spent it: the right exchange still works.
        var (ok, tokens) = await browser.TokenAsync(token, CodeExchange("native", code, verifier), Ct);
        Assert.True(ok == HttpStatusCode.OK, tokens.ToJsonString());
    }

    public static TheoryData<string> PageSteps => new(
        "start", "password", "mfa", "code-send", "code", "recover", "recover-send", "recover-code", "signup", "signup-send", "signup-code", "passkey");

    [Theory]
    [MemberData(nameof(PageSteps))]
    public async Task Garbage_in_every_field_of_a_sign_in_page_step_gets_a_page_and_never_a_500(string step)
    {
        var app = await CreateAppAsync(new { methods = new[] { "password", "emailCode", "smsCode" } });
        await RegisterAsync(app, "native", NativeRedirect);
        using var browser = new OidcBrowser(Factory);
        var authorize = $"/v1/apps/{app}/oauth/authorize" + OidcBrowser.AuthorizeQuery("native", NativeRedirect, OidcBrowser.Pkce().Challenge);
        var page = await browser.GetAsync(authorize, Ct);
        foreach (var garbage in new[] { "", "x", "not-a-guid", "{\"id\":5,\"response\":[]}", "null", new string('9', 5000), "\u0000\ud800", "+1", "@", "a@b" })
        {
            var fields = new Dictionary<string, string>
            {
                ["lk_step"] = step, ["lk_handle"] = garbage, ["lk_password"] = garbage, ["lk_code"] = garbage, ["lk_challenge"] = garbage,
                ["lk_new_password"] = garbage, ["lk_username"] = garbage, ["lk_mfa_token"] = garbage, ["lk_method"] = garbage,
                ["lk_first"] = garbage, ["lk_ceremony"] = garbage, ["lk_assertion"] = garbage,
            };
            var answer = await browser.SubmitAsync(page, authorize, fields, Ct);
            Assert.True((int)answer.StatusCode < 500, $"{step} with '{garbage[..Math.Min(20, garbage.Length)]}': {(int)answer.StatusCode}");
            if (garbage.Contains('\0'))
            {
                // A body no browser sends (a NUL, a lone surrogate): not a readable form, answered as such.
                Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);
                continue;
            }
            Assert.True(answer.StatusCode == HttpStatusCode.Redirect || answer.Content.Headers.ContentType?.MediaType == "text/html",
                $"{step} with {garbage.Length} chars: {(int)answer.StatusCode} {answer.Content.Headers.ContentType} {await answer.Content.ReadAsStringAsync(Ct)}");
        }
    }

    [Fact]
    public async Task Malformed_token_requests_get_rfc_6749_errors()
    {
        var (app, _) = await AppWithClientAndUserAsync("native");
        using var browser = new OidcBrowser(Factory);
        var token = $"/v1/apps/{app}/oauth/token";
        foreach (var (form, error) in new (Dictionary<string, string>, string)[]
        {
            (new() { ["client_id"] = "native" }, "invalid_request"),
            (new() { ["grant_type"] = "password", ["client_id"] = "native", ["username"] = "a", ["password"] = "b" }, "unsupported_grant_type"),
            (new() { ["grant_type"] = "authorization_code", ["client_id"] = "nobody", ["code"] = "x", ["code_verifier"] = "y", ["redirect_uri"] = "z" }, "invalid_client"),
            (new() { ["grant_type"] = "authorization_code", ["client_id"] = "native", ["code"] = "not.a.code", ["code_verifier"] = "y", ["redirect_uri"] = "com.example.app:/oauth/callback" }, "invalid_grant"),
            (new() { ["grant_type"] = "refresh_token", ["client_id"] = "native", ["refresh_token"] = "unknown" }, "invalid_grant"),
            (new() { ["grant_type"] = "refresh_token", ["client_id"] = "native", ["client_secret"] = "a secret", ["refresh_token"] = "unknown" }, "invalid_client"),
            // client_credentials needs a client's secret, which a public client has none of.
            (new() { ["grant_type"] = "client_credentials", ["client_id"] = "native" }, "invalid_request"),
            (new() { ["grant_type"] = "client_credentials", ["client_id"] = "native", ["client_secret"] = "a secret" }, "invalid_client"),
        })
        {
            var (status, body) = await browser.TokenAsync(token, form, Ct);
            Assert.True(status is HttpStatusCode.BadRequest or HttpStatusCode.Unauthorized, body.ToJsonString());
            Assert.True(Str(body, "error") == error, $"{string.Join('&', form.Select(f => f.Key))}: {body.ToJsonString()}");
        }
        var json = await browser.Http.PostAsync(token, new StringContent("""{"grant_type":"refresh_token"}""", Encoding.UTF8, "application/json"), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, json.StatusCode);
        var get = await browser.Http.GetAsync(token + "?grant_type=refresh_token", Ct);
        Assert.True(get.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.MethodNotAllowed, get.StatusCode.ToString());
        var unknownApp = await browser.Http.PostAsync("/v1/apps/no-such-app/oauth/token", new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "x" }), Ct);
        Assert.Equal(HttpStatusCode.NotFound, unknownApp.StatusCode);
    }

    [Fact]
    public async Task A_refresh_token_is_the_clients_own()
    {
        var (app, email) = await AppWithClientAndUserAsync("native");
        await RegisterAsync(app, "other-client", "com.example.other:/cb");
        // The JSON API's refresh token is no client's; an OIDC client's is not the JSON API's.
        var api = await OkJsonAsync(await PostAsync($"/v1/apps/{app}/login", new { handle = email, password = GoodPassword }));
        using var browser = new OidcBrowser(Factory);
        var token = $"/v1/apps/{app}/oauth/token";
        var (status, body) = await browser.TokenAsync(token,
            new Dictionary<string, string> { ["grant_type"] = "refresh_token", ["client_id"] = "native", ["refresh_token"] = Str(api, "refresh_token") }, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_grant", Str(body, "error"));

        var (verifier, challenge) = OidcBrowser.Pkce();
        var authorize = $"/v1/apps/{app}/oauth/authorize" + OidcBrowser.AuthorizeQuery("native", "com.example.app:/oauth/callback", challenge);
        var code = OidcBrowser.RedirectParameters(await browser.SignInAsync(await browser.GetAsync(authorize, Ct), authorize, email, GoodPassword, Ct),
            "com.example.app:/oauth/callback")["code"];
        var (_, tokens) = await browser.TokenAsync(token, CodeExchange("native", code, verifier), Ct);
        var (other, refused) = await browser.TokenAsync(token,
            new Dictionary<string, string> { ["grant_type"] = "refresh_token", ["client_id"] = "other-client", ["refresh_token"] = Str(tokens, "refresh_token") }, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, other);
        Assert.Equal("invalid_grant", Str(refused, "error"));
        await AssertProblemAsync(await PostAsync($"/v1/apps/{app}/token", new { refresh_token = Str(tokens, "refresh_token") }),
            HttpStatusCode.Unauthorized, "refresh_token_invalid");
    }
}

[Collection(SqliteCollection.Name)]
public sealed class OidcBadInputTests_Sqlite(SqliteServer server) : OidcBadInputTests(server);

[Collection(PostgresCollection.Name)]
public sealed class OidcBadInputTests_Postgres(PostgresServer server) : OidcBadInputTests(server);
