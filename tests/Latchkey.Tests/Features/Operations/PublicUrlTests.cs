using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Latchkey.Tests.Features.Tokens;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.Operations;

/// <summary>
/// Issuers, links and discovery come from the public URL (LATCHKEY_PUBLIC_URL, else the address
/// the server listens on), never from the request's Host header (issue 11, defect 2): an
/// attacker who asks for a victim's password reset under their own Host must not get a genuine
/// email that sends the victim, and the reset token, to the attacker's host. And HSTS follows
/// the public URL's scheme (defect 10).
/// </summary>
public abstract class PublicUrlTests(ServerFixture fixture) : TokenTest(fixture)
{
    private const string Evil = "evil.example";

    [Fact]
    public async Task A_password_reset_asked_for_under_a_forged_host_links_to_the_public_url()
    {
        var app = await CreateAppAsync(new { passwordRecovery = "link" });
        var email = NewEmail("victim");
        await SignUpAsync(app, email);

        var asked = await ForgedHostAsync(Client, HttpMethod.Post, $"/v1/apps/{app}/password/forgot", new { email });

        Assert.Equal(HttpStatusCode.Accepted, asked.StatusCode);
        var message = await LatestMessageAsync(app, email, "recoveryLink");
        Assert.StartsWith($"{LatchkeyFactory.PublicUrl}/v1/apps/{app}/password/reset?challenge=", LinkFrom(message));
        Assert.DoesNotContain(Evil, message.ToJsonString());
    }

    [Fact]
    public async Task Sign_up_and_verification_links_asked_for_under_a_forged_host_link_to_the_public_url()
    {
        var registered = await CreateAppAsync(new { accessMode = "registered", signupFlow = "link" });
        var open = await CreateAppAsync(new { accessMode = "open", signupFlow = "link" });
        var (first, second) = (NewEmail("signup"), NewEmail("verify"));

        Assert.Equal(HttpStatusCode.Accepted, (await ForgedHostAsync(Client, HttpMethod.Post, $"/v1/apps/{registered}/signup", new { email = first, password = GoodPassword })).StatusCode);
        await OkJsonAsync(await ForgedHostAsync(Client, HttpMethod.Post, $"/v1/apps/{open}/signup", new { email = second, password = GoodPassword }));

        var signup = await LatestMessageAsync(registered, first, "signupLink");
        var verify = await LatestMessageAsync(open, second, "verifyLink");
        Assert.StartsWith($"{LatchkeyFactory.PublicUrl}/v1/apps/{registered}/signup/confirm?token=", LinkFrom(signup));
        Assert.StartsWith($"{LatchkeyFactory.PublicUrl}/v1/apps/{open}/", LinkFrom(verify));
        Assert.DoesNotContain(Evil, signup.ToJsonString() + verify.ToJsonString());
    }

    [Fact]
    public async Task Discovery_jwks_and_token_issuers_ignore_the_host_header()
    {
        var app = await CreateAppAsync();
        var issuer = $"{LatchkeyFactory.PublicUrl}/v1/apps/{app}";

        var discovery = await OkJsonAsync(await ForgedHostAsync(Client, HttpMethod.Get, $"/v1/apps/{app}/.well-known/openid-configuration"));
        var tokens = await OkJsonAsync(await ForgedHostAsync(Client, HttpMethod.Post, $"/v1/apps/{app}/signup", new { email = NewEmail(), password = GoodPassword }));

        Assert.Equal(issuer, Str(discovery, "issuer"));
        foreach (var (name, value) in discovery)
        {
            if (value is JsonValue text && text.TryGetValue<string>(out var url) && url.StartsWith("http", StringComparison.Ordinal))
            {
                Assert.True(url.StartsWith(issuer + "/", StringComparison.Ordinal) || url == issuer, $"{name}: {url}");
            }
        }
        Assert.Equal(issuer, Str(Open(Str(tokens, "access_token")).Payload, "iss"));
        var key = await ServerKeyAsync(app);
        Assert.True(await IsActiveAsync(app, key, Str(tokens, "access_token")));
    }

    [Fact]
    public async Task A_token_signed_with_the_apps_key_under_another_issuer_is_refused()
    {
        var app = await CreateAppAsync();
        var server = await ServerKeyAsync(app);
        var real = Str(await SignUpAsync(app), "access_token");
        var kid = KeyRotationTests.Kid(real);
        using var key = await StolenPrivateKeyAsync(kid);
        // Sanity: the same claims signed again with the same key pass, so a refusal below is the issuer's.
        await OkJsonAsync(await GetAsync($"/v1/apps/{app}/me", Resign(real, key, kid)));

        foreach (var issuer in new[]
        {
            $"https://evil/v1/apps/{app}",
            $"https://{Evil}/v1/apps/{app}",
            $"https://localhost/v1/apps/{app}",
            $"http://localhost:8080/v1/apps/{app}",
            $"{LatchkeyFactory.PublicUrl}/v1/apps/{app}/",
            $"{LatchkeyFactory.PublicUrl}/x/v1/apps/{app}",
        })
        {
            var forged = Resign(real, key, kid, p => p["iss"] = issuer);

            await AssertProblemAsync(await GetAsync($"/v1/apps/{app}/me", forged), HttpStatusCode.Unauthorized, "unauthorized");
            await AssertProblemAsync(await ForgedHostAsync(Client, HttpMethod.Get, $"/v1/apps/{app}/me", bearer: forged, host: new Uri(issuer).Authority),
                HttpStatusCode.Unauthorized, "unauthorized");
            Assert.False(await IsActiveAsync(app, server, forged), issuer);
        }
    }

    [Fact]
    public async Task Without_a_public_url_the_listening_address_is_the_public_url_whatever_the_host_header_says()
    {
        await using var node = Factory.Sibling(new Dictionary<string, string?> { ["Latchkey:PublicUrl"] = null });
        node.UseKestrel(0);
        node.StartServer();
        using var client = node.CreateClient();
        var listening = client.BaseAddress!.GetLeftPart(UriPartial.Authority);
        Assert.Matches(@"^http://127\.0\.0\.1:\d+$", listening);
        var app = await CreateAppAsync(new { passwordRecovery = "link" });
        var email = NewEmail("listening");
        var real = Str(await SignUpAsync(app, email), "access_token");
        var issuer = $"{listening}/v1/apps/{app}";

        var discovery = await OkJsonAsync(await ForgedHostAsync(client, HttpMethod.Get, $"/v1/apps/{app}/.well-known/openid-configuration"));
        var tokens = await OkJsonAsync(await ForgedHostAsync(client, HttpMethod.Post, $"/v1/apps/{app}/login", new { handle = email, password = GoodPassword }));
        Assert.Equal(HttpStatusCode.Accepted, (await ForgedHostAsync(client, HttpMethod.Post, $"/v1/apps/{app}/password/forgot", new { email })).StatusCode);

        Assert.Equal(issuer, Str(discovery, "issuer"));
        Assert.Equal($"{issuer}/.well-known/jwks.json", Str(discovery, "jwks_uri"));
        var own = Str(tokens, "access_token");
        Assert.Equal(issuer, Str(Open(own).Payload, "iss"));
        await OkJsonAsync(await ForgedHostAsync(client, HttpMethod.Get, $"/v1/apps/{app}/me", bearer: own));
        Assert.StartsWith($"{issuer}/password/reset?challenge=", LinkFrom(await LatestMessageAsync(app, email, "recoveryLink")));
        // Exact issuers: the shared server's tokens (issued under http://localhost) and a forged
        // issuer that ends in the app's path are not this node's, even signed with the app's key.
        var kid = KeyRotationTests.Kid(real);
        using var key = await StolenPrivateKeyAsync(kid);
        foreach (var token in new[] { real, Resign(real, key, kid, p => p["iss"] = $"https://evil/v1/apps/{app}") })
        {
            await AssertProblemAsync(await ForgedHostAsync(client, HttpMethod.Get, $"/v1/apps/{app}/me", bearer: token, host: "evil"),
                HttpStatusCode.Unauthorized, "unauthorized");
        }
    }

    [Fact]
    public async Task An_https_public_url_puts_hsts_on_every_response_and_an_http_one_on_none()
    {
        await using var node = Factory.Sibling(new Dictionary<string, string?> { ["Latchkey:PublicUrl"] = "https://id.example.test" });
        // Note: plain http requests, as a TLS-terminating proxy forwards them: the header is the public URL's.
        using var https = node.CreateClient();

        foreach (var (client, expected) in new[] { (https, "max-age=31536000"), (Client, null) })
        {
            var answers = new (string Call, HttpResponseMessage Response)[]
            {
                ("GET /healthz", await client.GetAsync("/healthz", Ct)),
                ("GET /config", await client.GetAsync("/v1/apps/console/config", Ct)),
                ("GET an unknown app", await client.GetAsync("/v1/apps/no-such-app/config", Ct)),
                ("GET an unknown route", await client.GetAsync("/no/such/route", Ct)),
                ("POST bad JSON", await client.PostAsync("/v1/apps/console/login", new StringContent("{", System.Text.Encoding.UTF8, "application/json"), Ct)),
                ("GET /me without a token", await client.GetAsync("/v1/apps/console/me", Ct)),
                ("GET the console", await client.GetAsync("/console/login", Ct)),
                ("GET the JWKS", await client.GetAsync("/v1/apps/console/.well-known/jwks.json", Ct)),
            };

            foreach (var (call, response) in answers)
            {
                var hsts = response.Headers.TryGetValues("Strict-Transport-Security", out var values) ? string.Join(",", values) : null;
                Assert.True(expected == hsts, $"{call} ({(int)response.StatusCode}) under {(expected is null ? "http" : "https")}: Strict-Transport-Security {hsts ?? "absent"}");
            }
        }
    }

    private async Task<HttpResponseMessage> ForgedHostAsync(HttpClient client, HttpMethod method, string path, object? body = null,
        string? bearer = null, string host = Evil)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.Host = host;
        // Forwarded headers too: no proxy is trusted here, and none of them names the public URL anyway.
        request.Headers.TryAddWithoutValidation("X-Forwarded-Host", host);
        request.Headers.TryAddWithoutValidation("X-Forwarded-Proto", "https");
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }
        return await client.SendAsync(request, Ct);
    }
}

[Collection(SqliteCollection.Name)]
public sealed class PublicUrlTests_Sqlite(SqliteServer server) : PublicUrlTests(server);

[Collection(PostgresCollection.Name)]
public sealed class PublicUrlTests_Postgres(PostgresServer server) : PublicUrlTests(server);
