using System.Net;
using System.Text.Json.Nodes;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.Tokens;

/// <summary>
/// Whatever a client puts after <c>Bearer</c>, a protected route answers 401 <c>unauthorized</c>
/// (problem+json), introspection answers <c>active: false</c>, and routes that need no token
/// (health, config, JWKS) ignore it and answer as usual. Some shapes are signed with the app's
/// real key, so that the check gets past the signature to the claims.
/// </summary>
public abstract class MalformedBearerTests(ServerFixture fixture) : TokenTest(fixture)
{
    /// <summary>The bearer of the security review (issue 11): a JWE, which made every route answer 500.</summary>
    private const string Jwe = "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0.a.b.c.d";

    [Fact]
    public async Task Every_malformed_bearer_is_unauthorized_on_protected_routes_and_ignored_on_anonymous_ones()
    {
        var app = await CreateAppAsync();
        var other = await CreateAppAsync();
        var server = await ServerKeyAsync(app);
        var real = Str(await SignUpAsync(app), "access_token");
        var foreign = Str(await SignUpAsync(other), "access_token");
        var kid = KeyRotationTests.Kid(real);
        var otherKid = KeyRotationTests.Kid(foreign);
        var key = await StolenPrivateKeyAsync(kid);
        var otherKey = await StolenPrivateKeyAsync(otherKid);
        var (header, payload) = Open(real);
        // Sanity: the real token and a re-signed copy of it are accepted, so refusals below are the shapes'.
        await OkJsonAsync(await BearerAsync($"/v1/apps/{app}/me", real));
        await OkJsonAsync(await BearerAsync($"/v1/apps/{app}/me", Resign(real, key, kid)));

        string Header(Action<JsonObject> edit) { var h = header.DeepClone().AsObject(); edit(h); return h.ToJsonString(); }
        string Claims(Action<JsonObject> edit) { var p = payload.DeepClone().AsObject(); edit(p); return p.ToJsonString(); }
        var claims = payload.ToJsonString();
        var signature = real.Split('.')[2];

        var shapes = new (string Name, string Token)[]
        {
            ("JWE (five parts)", Jwe),
            ("JWE with real base64 parts", $"{Encode(Header(h => { h["alg"] = "RSA-OAEP"; h["enc"] = "A256GCM"; }))}.AAAA.AAAA.AAAA.AAAA"),
            ("empty", ""),
            ("one word", "not-a-token"),
            ("dots only", ".."),
            ("four parts", "a.b.c.d"),
            ("six parts", "a.b.c.d.e.f"),
            ("a real token with a part added", real + ".AAAA"),
            ("garbage parts", "!!!.???.***"),
            ("short parts", "a.b.c"),
            ("header not base64", $"%%%%.{Encode(claims)}.{signature}"),
            ("header not JSON", $"{Encode("hello")}.{Encode(claims)}.{signature}"),
            ("header a JSON array", $"{Encode("[1,2]")}.{Encode(claims)}.{signature}"),
            ("header JSON null", $"{Encode("null")}.{Encode(claims)}.{signature}"),
            ("header JSON cut off", $"{Encode("{\"alg\":\"ES256\",")}.{Encode(claims)}.{signature}"),
            ("header fields of the wrong JSON types", $"{Encode("""{"alg":5,"kid":{},"typ":[]}""")}.{Encode(claims)}.{signature}"),
            ("huge header", Sign(key, Header(h => h["pad"] = new string('x', 20_000)), claims)),
            ("huge token", new string('a', 100_000) + ".b.c"),
            ("alg none", $"{Encode(Header(h => h["alg"] = "none"))}.{Encode(claims)}."),
            ("alg none with a signature", $"{Encode(Header(h => h["alg"] = "none"))}.{Encode(claims)}.{signature}"),
            ("alg HS256", $"{Encode(Header(h => h["alg"] = "HS256"))}.{Encode(claims)}.{signature}"),
            ("alg ES384", $"{Encode(Header(h => h["alg"] = "ES384"))}.{Encode(claims)}.{signature}"),
            ("no kid, signed", Sign(key, Header(h => h.Remove("kid")), claims)),
            ("empty kid, signed", Sign(key, Header(h => h["kid"] = ""), claims)),
            ("unknown kid, signed", Sign(key, Header(h => h["kid"] = "no-such-key"), claims)),
            ("very long kid, signed", Sign(key, Header(h => h["kid"] = new string('k', 5000)), claims)),
            ("unicode kid, signed", Sign(key, Header(h => h["kid"] = "ключ-🔑"), claims)),
            ("another app's kid and key, this app's claims", Sign(otherKey, Header(h => h["kid"] = otherKid), claims)),
            ("another app's kid, this app's key", Sign(key, Header(h => h["kid"] = otherKid), claims)),
            ("another app's token", foreign),
            ("unicode", "ťøkeñ.ü.ß"),
            ("unicode in a JWT's parts", $"{Encode(Header(_ => { }))}.{Encode(claims)}.{signature}é"),
            ("space inside", real[..20] + " " + real[20..]),
            ("payload not JSON, signed", Sign(key, Header(_ => { }), "not json")),
            ("payload a JSON array, signed", Sign(key, Header(_ => { }), "[]")),
            ("exp not a number, signed", Sign(key, Header(_ => { }), Claims(p => p["exp"] = "tomorrow"))),
            ("exp huge, signed", Sign(key, Header(_ => { }), Claims(p => p["exp"] = 1e300))),
            ("no exp, signed", Sign(key, Header(_ => { }), Claims(p => p.Remove("exp")))),
            ("sub not a GUID, signed", Sign(key, Header(_ => { }), Claims(p => p["sub"] = "root"))),
            ("sub a number, signed", Sign(key, Header(_ => { }), Claims(p => p["sub"] = 42))),
            ("no sid, signed", Sign(key, Header(_ => { }), Claims(p => p.Remove("sid")))),
            ("sid an object, signed", Sign(key, Header(_ => { }), Claims(p => p["sid"] = new JsonObject()))),
            // (Issuers are compared whole, host included: PublicUrlTests.)
            ("another app's issuer, signed", Sign(key, Header(_ => { }), Claims(p => p["iss"] = "https://evil.example/v1/apps/" + other))),
            ("no issuer, signed", Sign(key, Header(_ => { }), Claims(p => p.Remove("iss")))),
            ("another audience, signed", Sign(key, Header(_ => { }), Claims(p => p["aud"] = other))),
            ("no typ, signed", Sign(key, Header(h => h.Remove("typ")), claims)),
            ("typ JWT, signed", Sign(key, Header(h => h["typ"] = "JWT"), claims)),
        };

        var failures = new List<string>();
        foreach (var (name, token) in shapes)
        {
            await ExpectAsync(failures, name, "GET /me", await BearerAsync($"/v1/apps/{app}/me", token), HttpStatusCode.Unauthorized, "unauthorized");
            if (token != foreign)
            {
                // (Another app's token is a real token: the admin API's answer to its user is 403.)
                await ExpectAsync(failures, name, "GET /v1/admin/apps", await BearerAsync("/v1/admin/apps", token), HttpStatusCode.Unauthorized, "unauthorized");
            }
            await ExpectAsync(failures, name, "GET /healthz", await BearerAsync("/healthz", token), HttpStatusCode.OK);
            await ExpectAsync(failures, name, "GET /config", await BearerAsync($"/v1/apps/{app}/config", token), HttpStatusCode.OK);
            await ExpectAsync(failures, name, "GET the JWKS", await BearerAsync($"/v1/apps/{app}/.well-known/jwks.json", token), HttpStatusCode.OK);
            if (token.Length is > 0 and <= 8192 && await IsActiveAsync(app, server, token))
            {
                failures.Add($"{name}: introspection called it active");
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} check(s) failed:\n" + string.Join("\n", failures));
    }

    private async Task<HttpResponseMessage> BearerAsync(string path, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
        return await Client.SendAsync(request, Ct);
    }

    private static async Task ExpectAsync(List<string> failures, string shape, string call, HttpResponseMessage response, HttpStatusCode status, string? code = null)
    {
        var text = await response.Content.ReadAsStringAsync();
        var problem = response.Content.Headers.ContentType?.MediaType == "application/problem+json" ? JsonNode.Parse(text) : null;
        if (response.StatusCode != status || (code is not null && problem?["code"]?.GetValue<string>() != code))
        {
            failures.Add($"{shape}, {call}: expected {(int)status} {code}, got {(int)response.StatusCode} {(text.Length <= 200 ? text : text[..200] + "…")}");
        }
    }
}

[Collection(SqliteCollection.Name)]
public sealed class MalformedBearerTests_Sqlite(SqliteServer server) : MalformedBearerTests(server);

[Collection(PostgresCollection.Name)]
public sealed class MalformedBearerTests_Postgres(PostgresServer server) : MalformedBearerTests(server);
