using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Latchkey.Tests.Infrastructure;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Latchkey.Tests.Features.Oidc;

/// <summary>
/// X1: the authorization code flow with PKCE as a native client runs it against the app's
/// provider: discovery, the sign-in page, the code, the token exchange with Latchkey's tokens and
/// an ID token signed with the app's key, userinfo, refresh, and single use of codes.
/// </summary>
public abstract class OidcCodeFlowTests(ServerFixture fixture) : OidcTest(fixture)
{
    [Fact]
    public async Task A_native_client_signs_in_with_the_code_flow_and_gets_the_apps_own_tokens()
    {
        var (app, email) = await AppWithClientAndUserAsync("native");
        var issuer = $"{LatchkeyFactory.PublicUrl}/v1/apps/{app}";
        var discovery = await OkJsonAsync(await GetAsync($"/v1/apps/{app}/.well-known/openid-configuration"));
        Assert.Equal(issuer, Str(discovery, "issuer"));
        Assert.Equal($"{issuer}/oauth/authorize", Str(discovery, "authorization_endpoint"));
        Assert.Equal($"{issuer}/oauth/token", Str(discovery, "token_endpoint"));
        Assert.Equal(["S256"], discovery["code_challenge_methods_supported"]!.AsArray().Select(m => m!.GetValue<string>()));

        using var browser = new OidcBrowser(Factory);
        var (verifier, challenge) = OidcBrowser.Pkce();
        var authorize = Path(Str(discovery, "authorization_endpoint")) + OidcBrowser.AuthorizeQuery("native", NativeRedirect, challenge);
        var page = await browser.GetAsync(authorize, Ct);
        var html = await page.Content.ReadAsStringAsync(Ct);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("<label for=\"handle\">Email</label>", html);
        Assert.Contains("<label for=\"password\">Password</label>", html);
        Assert.Contains("<button type=\"submit\">Sign in</button>", html);

        var wrong = await browser.SignInAsync(page, authorize, email, "not the password", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Contains("role=\"alert\"", await wrong.Content.ReadAsStringAsync(Ct));

        var redirect = OidcBrowser.RedirectParameters(await browser.SignInAsync(wrong, authorize, email, GoodPassword, Ct), NativeRedirect);
        Assert.Equal("state-1", redirect["state"]);
        Assert.Equal(issuer, redirect["iss"]);

        var tokenEndpoint = Path(Str(discovery, "token_endpoint"));
        var (status, tokens) = await browser.TokenAsync(tokenEndpoint, CodeExchange("native", redirect["code"], verifier), Ct);
        Assert.True(status == HttpStatusCode.OK, tokens.ToJsonString());
        Assert.Equal("Bearer", Str(tokens, "token_type"));
        Assert.True(tokens["expires_in"]!.GetValue<long>() > 0);
        Assert.Contains("openid", Str(tokens, "scope").Split(' '));

        // The access token is Latchkey's own: the JSON API takes it.
        var accessToken = Str(tokens, "access_token");
        Assert.Equal(email, Str(await OkJsonAsync(await GetAsync($"/v1/apps/{app}/me", accessToken)), "email"));
        var userInfo = await OkJsonAsync(await GetAsync($"/v1/apps/{app}/oauth/userinfo", accessToken));
        Assert.Equal(email, Str(userInfo, "email"));

        // The ID token: signed with a key of the app's JWKS, for this client, with the nonce and at_hash over our access token.
        var jwks = new JsonWebKeySet(await (await Client.GetAsync(Path(Str(discovery, "jwks_uri")), Ct)).Content.ReadAsStringAsync(Ct));
        var checkedToken = await new JsonWebTokenHandler().ValidateTokenAsync(Str(tokens, "id_token"), new TokenValidationParameters
        {
            ValidIssuer = issuer,
            ValidAudience = "native",
            IssuerSigningKeys = jwks.GetSigningKeys(),
        });
        Assert.True(checkedToken.IsValid, checkedToken.Exception?.Message);
        var idToken = (JsonWebToken)checkedToken.SecurityToken;
        Assert.Equal("ES256", idToken.Alg);
        Assert.Equal("nonce-1", idToken.GetClaim("nonce").Value);
        Assert.Equal(email, idToken.GetClaim("email").Value);
        Assert.Equal(Str(userInfo, "sub"), idToken.Subject);
        var hash = SHA256.HashData(Encoding.ASCII.GetBytes(accessToken));
        Assert.Equal(Base64UrlEncoder.Encode(hash[..16]), idToken.GetClaim("at_hash").Value);

        // Refresh: the same rotation as /token (a retry inside the reuse interval gets the same successor).
        var refresh = new Dictionary<string, string> { ["grant_type"] = "refresh_token", ["client_id"] = "native", ["refresh_token"] = Str(tokens, "refresh_token") };
        var (refreshed, next) = await browser.TokenAsync(tokenEndpoint, refresh, Ct);
        Assert.True(refreshed == HttpStatusCode.OK, next.ToJsonString());
        var (_, retried) = await browser.TokenAsync(tokenEndpoint, refresh, Ct);
        Assert.Equal(Str(next, "refresh_token"), Str(retried, "refresh_token"));
        Assert.NotEqual(Str(tokens, "refresh_token"), Str(next, "refresh_token"));
        Assert.Equal(HttpStatusCode.OK, (await GetAsync($"/v1/apps/{app}/me", Str(next, "access_token"))).StatusCode);
    }

    [Fact]
    public async Task A_code_is_single_use_and_its_replay_ends_the_session_it_started()
    {
        var (app, email) = await AppWithClientAndUserAsync("native");
        using var browser = new OidcBrowser(Factory);
        var (verifier, challenge) = OidcBrowser.Pkce();
        var authorize = $"/v1/apps/{app}/oauth/authorize" + OidcBrowser.AuthorizeQuery("native", NativeRedirect, challenge);
        var code = OidcBrowser.RedirectParameters(await browser.SignInAsync(await browser.GetAsync(authorize, Ct), authorize, email, GoodPassword, Ct), NativeRedirect)["code"];
        var token = $"/v1/apps/{app}/oauth/token";
        var (first, tokens) = await browser.TokenAsync(token, CodeExchange("native", code, verifier), Ct);
        Assert.Equal(HttpStatusCode.OK, first);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync($"/v1/apps/{app}/me", Str(tokens, "access_token"))).StatusCode);

        var (again, refused) = await browser.TokenAsync(token, CodeExchange("native", code, verifier), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, again);
        Assert.Equal("invalid_grant", Str(refused, "error"));
        // RFC 6749 §4.1.2: what the first use produced is revoked.
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync($"/v1/apps/{app}/me", Str(tokens, "access_token"))).StatusCode);
        var (refreshed, dead) = await browser.TokenAsync(token,
            new Dictionary<string, string> { ["grant_type"] = "refresh_token", ["client_id"] = "native", ["refresh_token"] = Str(tokens, "refresh_token") }, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, refreshed);
        Assert.Equal("invalid_grant", Str(dead, "error"));

        // The replay's own attempt left nothing behind: one sign-in recorded, and the app's chain intact.
        var admin = await AdminTokenAsync();
        var trail = await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{app}/audit", admin));
        Assert.Single(trail, r => Str(r, "action") == "signin" && Str(r, "detail").Contains("via=", StringComparison.Ordinal) && Str(r, "detail").Contains("oauth/token", StringComparison.Ordinal));
        var verification = await OkJsonAsync(await GetAsync($"/v1/admin/apps/{app}/audit/verify", admin));
        Assert.True(verification["valid"]!.GetValue<bool>(), verification.ToJsonString());
        Assert.Equal(trail.Count, verification["checked"]!.GetValue<long>());
    }

    [Fact]
    public async Task A_second_client_of_the_app_signs_in_without_a_password_and_prompt_login_asks_again()
    {
        var (app, email) = await AppWithClientAndUserAsync("native");
        await RegisterAsync(app, "desktop", "http://127.0.0.1/callback");
        using var browser = new OidcBrowser(Factory);
        var (_, challenge) = OidcBrowser.Pkce();
        // Nobody is signed in in this browser yet: prompt=none answers login_required to the client.
        var none = OidcBrowser.RedirectParameters(await browser.GetAsync(
            $"/v1/apps/{app}/oauth/authorize" + OidcBrowser.AuthorizeQuery("desktop", "http://127.0.0.1:51234/callback", challenge, extra: "&prompt=none"), Ct),
            "http://127.0.0.1:51234/callback");
        Assert.Equal("login_required", none["error"]);

        var authorize = $"/v1/apps/{app}/oauth/authorize" + OidcBrowser.AuthorizeQuery("native", NativeRedirect, challenge);
        OidcBrowser.RedirectParameters(await browser.SignInAsync(await browser.GetAsync(authorize, Ct), authorize, email, GoodPassword, Ct), NativeRedirect);

        var silent = OidcBrowser.RedirectParameters(await browser.GetAsync(
            $"/v1/apps/{app}/oauth/authorize" + OidcBrowser.AuthorizeQuery("desktop", "http://127.0.0.1:51234/callback", challenge, extra: "&prompt=none"), Ct),
            "http://127.0.0.1:51234/callback");
        Assert.True(silent.ContainsKey("code"));
        var again = await browser.GetAsync($"/v1/apps/{app}/oauth/authorize" + OidcBrowser.AuthorizeQuery("desktop", "http://127.0.0.1:51234/callback", challenge, extra: "&prompt=login"), Ct);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Contains("Sign in", await again.Content.ReadAsStringAsync(Ct));

        // Another app's provider knows nothing of this browser session.
        var (other, _) = await AppWithClientAndUserAsync("native");
        var elsewhere = OidcBrowser.RedirectParameters(await browser.GetAsync(
            $"/v1/apps/{other}/oauth/authorize" + OidcBrowser.AuthorizeQuery("native", NativeRedirect, challenge, extra: "&prompt=none"), Ct), NativeRedirect);
        Assert.Equal("login_required", elsewhere["error"]);
    }

    [Fact]
    public async Task A_confidential_client_authenticates_with_its_secret_and_rp_initiated_logout_ends_the_session()
    {
        var app = await CreateAppAsync();
        var email = NewEmail();
        await SignUpAsync(app, email);
        const string web = "https://app.example.com/cb";
        var created = await OkJsonAsync(await PostAsync($"/v1/admin/apps/{app}/clients", new
        {
            clientId = "server", name = "Server", type = "confidential", redirectUris = new[] { web },
            postLogoutRedirectUris = new[] { "https://app.example.com/signed-out" },
        }, await AdminTokenAsync()));
        var secret = Str(created, "clientSecret");
        using var browser = new OidcBrowser(Factory);
        var (verifier, challenge) = OidcBrowser.Pkce();
        var authorize = $"/v1/apps/{app}/oauth/authorize" + OidcBrowser.AuthorizeQuery("server", web, challenge);
        var code = OidcBrowser.RedirectParameters(await browser.SignInAsync(await browser.GetAsync(authorize, Ct), authorize, email, GoodPassword, Ct), web)["code"];
        var token = $"/v1/apps/{app}/oauth/token";
        var exchange = CodeExchange("server", code, verifier, web);

        var (missing, noSecret) = await browser.TokenAsync(token, exchange, Ct);
        Assert.Equal("invalid_client", Str(noSecret, "error"));
        Assert.NotEqual(HttpStatusCode.OK, missing);
        var (_, wrongSecret) = await browser.TokenAsync(token, exchange, Ct, basic: ("server", secret + "x"));
        Assert.Equal("invalid_client", Str(wrongSecret, "error"));
        var (ok, tokens) = await browser.TokenAsync(token, exchange, Ct, basic: ("server", secret));
        Assert.True(ok == HttpStatusCode.OK, tokens.ToJsonString());
        // client_secret_post works as well as client_secret_basic.
        var (refreshed, next) = await browser.TokenAsync(token, new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token", ["client_id"] = "server", ["client_secret"] = secret, ["refresh_token"] = Str(tokens, "refresh_token"),
        }, Ct);
        Assert.True(refreshed == HttpStatusCode.OK, next.ToJsonString());

        // RP-initiated logout: a redirect only to a registered URI, then the session and the browser session are over.
        var logout = $"/v1/apps/{app}/oauth/logout?id_token_hint={Str(tokens, "id_token")}";
        var elsewhere = await browser.GetAsync(logout + "&post_logout_redirect_uri=" + Uri.EscapeDataString("https://evil.example.com/"), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, elsewhere.StatusCode);
        Assert.Null(elsewhere.Headers.Location);
        var signedOut = await browser.GetAsync(logout + "&state=bye&post_logout_redirect_uri=" + Uri.EscapeDataString("https://app.example.com/signed-out"), Ct);
        Assert.Equal("bye", OidcBrowser.RedirectParameters(signedOut, "https://app.example.com/signed-out")["state"]);
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync($"/v1/apps/{app}/me", Str(next, "access_token"))).StatusCode);
        var none = OidcBrowser.RedirectParameters(await browser.GetAsync(
            $"/v1/apps/{app}/oauth/authorize" + OidcBrowser.AuthorizeQuery("server", web, challenge, extra: "&prompt=none"), Ct), web);
        Assert.Equal("login_required", none["error"]);
    }

    private static string Path(string url) => new Uri(url).PathAndQuery;
}

[Collection(SqliteCollection.Name)]
public sealed class OidcCodeFlowTests_Sqlite(SqliteServer server) : OidcCodeFlowTests(server);

[Collection(PostgresCollection.Name)]
public sealed class OidcCodeFlowTests_Postgres(PostgresServer server) : OidcCodeFlowTests(server);
