using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Latchkey.Tests.Infrastructure;
using Microsoft.AspNetCore.Routing;
using B64 = System.Buffers.Text.Base64Url;

namespace Latchkey.Tests.Features.Operations;

public abstract partial class OperationsTests(ServerFixture fixture) : ApiTest(fixture)
{
    [Fact]
    public async Task The_server_says_it_is_alive_and_ready()
    {
        var alive = await GetAsync("/healthz");
        var ready = await GetAsync("/readyz");

        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("Healthy", await ready.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task The_openapi_document_describes_every_api_route_the_server_maps()
    {
        var response = await GetAsync("/openapi/v1.json");
        var document = await OkJsonAsync(response);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith("3.", Str(document, "openapi"));
        var paths = document["paths"]!.AsObject();

        var routes = Factory.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/v1/", StringComparison.Ordinal) == true)
            .Select(e => (Path: OpenApiPath(e.RoutePattern.RawText!), Methods: e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? []))
            .ToList();

        // A sanity check that the route list is the real one, not an empty or partial read.
        Assert.Contains(routes, r => r.Path == "/v1/apps/{appId}/me" && r.Methods.Contains("PATCH"));
        Assert.Contains(routes, r => r.Path == "/v1/admin/apps/{appId}/users/{userId}" && r.Methods.Contains("GET"));
        Assert.True(routes.Count >= 20, $"Only {routes.Count} routes found");
        var missing = new List<string>();
        foreach (var (path, methods) in routes)
        {
            Assert.NotEmpty(methods);
            foreach (var method in methods)
            {
                if (paths[path]?[method.ToLowerInvariant()] is not JsonObject)
                {
                    missing.Add($"{method} {path}");
                }
            }
        }
        Assert.True(missing.Count == 0, "Not in /openapi/v1.json: " + string.Join(", ", missing));
    }

    [Fact]
    public async Task The_config_answers_the_public_settings_of_the_app()
    {
        var app = await CreateAppAsync();

        var config = await OkJsonAsync(await GetAsync($"/v1/apps/{app}/config"));

        Assert.Equal("open", Str(config, "accessMode"));
        Assert.True(config["signupEnabled"]!.GetValue<bool>());
        Assert.Equal("none", Str(config, "signupFlow"));
        Assert.False(config["anonymousEnabled"]!.GetValue<bool>());
        Assert.False(config["usernamesEnabled"]!.GetValue<bool>());
        Assert.False(config["invitationsEnabled"]!.GetValue<bool>());
        Assert.Equal(["password"], config["methods"]!.AsArray().Select(m => m!.GetValue<string>()));
        Assert.Equal(60, config["codeTimeoutSeconds"]!.GetValue<int>());
        // Token lifetimes and other server-side settings are not public.
        Assert.False(config.ContainsKey("accessTokenLifetimeSeconds"));
        Assert.False(config.ContainsKey("refreshReuseIntervalSeconds"));
    }

    [Fact]
    public async Task The_config_follows_the_apps_settings()
    {
        var app = await CreateAppAsync(new { signupEnabled = false });
        Assert.False((await OkJsonAsync(await GetAsync($"/v1/apps/{app}/config")))["signupEnabled"]!.GetValue<bool>());

        await OkJsonAsync(await PatchAsync($"/v1/admin/apps/{app}", new { settings = new { signupEnabled = true } }, await AdminTokenAsync()));

        Assert.True((await OkJsonAsync(await GetAsync($"/v1/apps/{app}/config")))["signupEnabled"]!.GetValue<bool>());

        await OkJsonAsync(await PatchAsync($"/v1/admin/apps/{app}", new
        {
            settings = new { anonymousEnabled = true, usernamesEnabled = true, invitationsEnabled = true, methods = new[] { "password", "emailCode" }, codeTimeoutSeconds = 120 },
        }, await AdminTokenAsync()));

        var config = await OkJsonAsync(await GetAsync($"/v1/apps/{app}/config"));
        Assert.True(config["anonymousEnabled"]!.GetValue<bool>());
        Assert.True(config["usernamesEnabled"]!.GetValue<bool>());
        Assert.True(config["invitationsEnabled"]!.GetValue<bool>());
        Assert.Equal(["password", "emailCode"], config["methods"]!.AsArray().Select(m => m!.GetValue<string>()));
        Assert.Equal(120, config["codeTimeoutSeconds"]!.GetValue<int>());
    }

    [Fact]
    public async Task The_app_describes_itself_as_an_openid_issuer()
    {
        var app = await CreateAppAsync();

        var discovery = await OkJsonAsync(await GetAsync($"/v1/apps/{app}/.well-known/openid-configuration"));

        var issuer = Str(discovery, "issuer");
        Assert.EndsWith($"/v1/apps/{app}", issuer);
        Assert.True(Uri.TryCreate(issuer, UriKind.Absolute, out _), issuer);
        Assert.Equal($"{issuer}/.well-known/jwks.json", Str(discovery, "jwks_uri"));
        Assert.Contains("ES256", discovery["id_token_signing_alg_values_supported"]!.AsArray().Select(a => a!.GetValue<string>()));
        var jwks = await OkJsonAsync(await GetAsync(Str(discovery, "jwks_uri")));
        Assert.Single(jwks["keys"]!.AsArray());
    }

    [Fact]
    public async Task The_jwks_publishes_one_p256_key_that_verifies_the_apps_tokens()
    {
        var app = await CreateAppAsync();
        var other = await CreateAppAsync();

        var jwks = await OkJsonAsync(await GetAsync($"/v1/apps/{app}/.well-known/jwks.json"));

        var key = Assert.Single(jwks["keys"]!.AsArray())!;
        Assert.Equal("EC", Str(key, "kty"));
        Assert.Equal("P-256", Str(key, "crv"));
        Assert.Equal("ES256", Str(key, "alg"));
        Assert.Equal("sig", Str(key, "use"));
        Assert.False(string.IsNullOrEmpty(Str(key, "kid")));
        Assert.Equal(32, B64.DecodeFromChars(Str(key, "x")).Length);
        Assert.Equal(32, B64.DecodeFromChars(Str(key, "y")).Length);
        Assert.False(key.AsObject().ContainsKey("d"));

        var token = Str(await SignUpAsync(app), "access_token");
        var parts = token.Split('.');
        var header = JsonNode.Parse(B64.DecodeFromChars(parts[0]))!;
        Assert.Equal(Str(key, "kid"), Str(header, "kid"));
        using var ecdsa = ECDsa.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = B64.DecodeFromChars(Str(key, "x")), Y = B64.DecodeFromChars(Str(key, "y")) },
        });
        Assert.True(ecdsa.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), B64.DecodeFromChars(parts[2]), HashAlgorithmName.SHA256));
        var claims = JsonNode.Parse(B64.DecodeFromChars(parts[1]))!;
        var issuer = Str(await OkJsonAsync(await GetAsync($"/v1/apps/{app}/.well-known/openid-configuration")), "issuer");
        Assert.Equal(issuer, Str(claims, "iss"));
        Assert.Equal(app, Str(claims, "aud"));

        var otherKey = Assert.Single((await OkJsonAsync(await GetAsync($"/v1/apps/{other}/.well-known/jwks.json")))["keys"]!.AsArray())!;
        Assert.NotEqual(Str(key, "kid"), Str(otherKey, "kid"));
        Assert.NotEqual(Str(key, "x"), Str(otherKey, "x"));
    }

    /// <summary>The OpenAPI form of a route: constraints and defaults dropped, "{userId:guid}" → "{userId}".</summary>
    private static string OpenApiPath(string rawText) => Parameter().Replace(rawText, "{$1}").TrimEnd('/');

    [GeneratedRegex(@"\{\*{0,2}([A-Za-z0-9_]+)[^}]*\}")]
    private static partial Regex Parameter();
}

[Collection(SqliteCollection.Name)]
public sealed class OperationsTests_Sqlite(SqliteServer server) : OperationsTests(server);

[Collection(PostgresCollection.Name)]
public sealed class OperationsTests_Postgres(PostgresServer server) : OperationsTests(server);
