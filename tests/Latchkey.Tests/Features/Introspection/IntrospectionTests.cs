using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.Introspection;

/// <summary>T3: RFC 7662 introspection and RFC 7009 revocation for an app's servers.</summary>
public abstract class IntrospectionTests(ServerFixture fixture) : ApiTest(fixture)
{
    private sealed record ServerKey(string Id, string Secret);

    [Fact]
    public async Task A_live_access_token_introspects_as_active_with_its_claims()
    {
        var app = await CreateAppAsync();
        var key = await ServerKeyAsync(app);
        var tokens = await SignUpAsync(app);

        var answer = await IntrospectOkAsync(app, key, Str(tokens, "access_token"), "access_token");

        Assert.True(answer["active"]!.GetValue<bool>());
        Assert.Equal(Str(tokens["user"], "id"), Str(answer, "sub"));
        Assert.Equal(app, Str(answer, "aud"));
        Assert.Equal(app, Str(answer, "client_id"));
        Assert.EndsWith($"/v1/apps/{app}", Str(answer, "iss"));
        Assert.Equal("Bearer", Str(answer, "token_type"));
        Assert.Equal("access_token", Str(answer, "token_usage"));
        Assert.Equal("user", Str(answer, "role"));
        Assert.Equal("free", Str(answer, "plan"));
        Assert.Equal(900, answer["exp"]!.GetValue<long>() - answer["iat"]!.GetValue<long>());
        Assert.False(string.IsNullOrEmpty(Str(answer, "sid")));
    }

    [Fact]
    public async Task A_refresh_token_is_active_until_it_is_used()
    {
        var app = await CreateAppAsync();
        var key = await ServerKeyAsync(app);
        var tokens = await SignUpAsync(app);

        var answer = await IntrospectOkAsync(app, key, Str(tokens, "refresh_token"), "refresh_token");
        Assert.True(answer["active"]!.GetValue<bool>());
        Assert.Equal("refresh_token", Str(answer, "token_usage"));
        Assert.Equal(Str(tokens["user"], "id"), Str(answer, "sub"));
        Assert.Equal(2_592_000, answer["exp"]!.GetValue<long>() - answer["iat"]!.GetValue<long>());

        var rotated = await OkJsonAsync(await PostAsync($"/v1/apps/{app}/token", new { refresh_token = Str(tokens, "refresh_token") }));
        await AssertInactiveAsync(app, key, Str(tokens, "refresh_token"));
        // Without a hint, and with a wrong one, the server still finds the token.
        Assert.True((await IntrospectOkAsync(app, key, Str(rotated, "refresh_token")))["active"]!.GetValue<bool>());
        Assert.True((await IntrospectOkAsync(app, key, Str(rotated, "refresh_token"), "access_token"))["active"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Expired_foreign_garbage_and_revoked_tokens_are_inactive()
    {
        var app = await CreateAppAsync();
        var other = await CreateAppAsync();
        var key = await ServerKeyAsync(app);
        var tokens = await SignUpAsync(app);
        var foreign = await SignUpAsync(other);

        await AssertInactiveAsync(app, key, Str(foreign, "access_token"));
        await AssertInactiveAsync(app, key, Str(foreign, "refresh_token"));
        await AssertInactiveAsync(app, key, "not-a-token");
        await AssertInactiveAsync(app, key, "a.b.c");

        var logout = await PostAsync($"/v1/apps/{app}/logout", new { }, Str(tokens, "access_token"));
        Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        await AssertInactiveAsync(app, key, Str(tokens, "access_token"));
        await AssertInactiveAsync(app, key, Str(tokens, "refresh_token"));

        var fresh = await SignUpAsync(app);
        Factory.Clock.Advance(TimeSpan.FromSeconds(901));
        await AssertInactiveAsync(app, key, Str(fresh, "access_token"));
        Assert.True((await IntrospectOkAsync(app, key, Str(fresh, "refresh_token")))["active"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Revoking_a_refresh_token_ends_its_whole_family()
    {
        var app = await CreateAppAsync();
        var key = await ServerKeyAsync(app);
        var first = await SignUpAsync(app);
        var second = await OkJsonAsync(await PostAsync($"/v1/apps/{app}/token", new { refresh_token = Str(first, "refresh_token") }));

        var revoke = await PostFormAsync(app, "revoke", key, ("token", Str(second, "refresh_token")), ("token_type_hint", "refresh_token"));

        Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        await AssertProblemAsync(await PostAsync($"/v1/apps/{app}/token", new { refresh_token = Str(second, "refresh_token") }),
            HttpStatusCode.Unauthorized, "session_revoked");
        await AssertProblemAsync(await GetAsync($"/v1/apps/{app}/me", Str(second, "access_token")), HttpStatusCode.Unauthorized, "session_revoked");
        await AssertInactiveAsync(app, key, Str(second, "access_token"));
        await AssertInactiveAsync(app, key, Str(first, "access_token"));
    }

    [Fact]
    public async Task Revoking_an_access_token_ends_its_session_and_unknown_tokens_answer_200()
    {
        var app = await CreateAppAsync();
        var key = await ServerKeyAsync(app);
        var tokens = await SignUpAsync(app);
        var other = await SignUpAsync(app);

        Assert.Equal(HttpStatusCode.OK, (await PostFormAsync(app, "revoke", key, ("token", Str(tokens, "access_token")))).StatusCode);

        await AssertProblemAsync(await PostAsync($"/v1/apps/{app}/token", new { refresh_token = Str(tokens, "refresh_token") }),
            HttpStatusCode.Unauthorized, "session_revoked");
        Assert.Equal(HttpStatusCode.OK, (await PostFormAsync(app, "revoke", key, ("token", "never-issued"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await PostFormAsync(app, "revoke", key, ("token", Str(tokens, "access_token")))).StatusCode);
        // Other sessions live on.
        await OkJsonAsync(await GetAsync($"/v1/apps/{app}/me", Str(other, "access_token")));
    }

    [Fact]
    public async Task Bad_client_authentication_answers_invalid_client()
    {
        var app = await CreateAppAsync();
        var other = await CreateAppAsync();
        var key = await ServerKeyAsync(app);
        var foreignKey = await ServerKeyAsync(other);
        var token = Str(await SignUpAsync(app), "access_token");

        foreach (var (path, credentials) in new (string, ServerKey?)[]
        {
            ("introspect", null), ("introspect", key with { Secret = key.Secret + "x" }), ("introspect", foreignKey),
            ("introspect", new ServerKey("sk_unknown", key.Secret)), ("revoke", null), ("revoke", foreignKey),
        })
        {
            var response = await PostFormAsync(app, path, credentials, ("token", token));
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("Basic", response.Headers.WwwAuthenticate.Single().Scheme);
            Assert.Equal("invalid_client", Str(JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct)), "error"));
        }
        // The failed revocation changed nothing.
        await OkJsonAsync(await GetAsync($"/v1/apps/{app}/me", token));
    }

    [Fact]
    public async Task The_endpoints_take_only_form_encoded_requests_with_one_token()
    {
        var app = await CreateAppAsync();
        var key = await ServerKeyAsync(app);
        var token = Str(await SignUpAsync(app), "access_token");

        using var json = new HttpRequestMessage(HttpMethod.Post, $"/v1/apps/{app}/oauth/introspect") { Content = JsonContent.Create(new { token }) };
        json.Headers.Authorization = Basic(key);
        var asJson = await Client.SendAsync(json, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, asJson.StatusCode);
        Assert.Equal("invalid_request", Str(JsonNode.Parse(await asJson.Content.ReadAsStringAsync(Ct)), "error"));

        var missing = await PostFormAsync(app, "introspect", key, ("token_type_hint", "access_token"));
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        var twice = await PostFormAsync(app, "revoke", key, ("token", token), ("token", token));
        Assert.Equal(HttpStatusCode.BadRequest, twice.StatusCode);
        Assert.Equal("invalid_request", Str(JsonNode.Parse(await twice.Content.ReadAsStringAsync(Ct)), "error"));
        await OkJsonAsync(await GetAsync($"/v1/apps/{app}/me", token));
    }

    [Fact]
    public async Task The_discovery_document_names_the_endpoints()
    {
        var app = await CreateAppAsync();

        var discovery = await OkJsonAsync(await GetAsync($"/v1/apps/{app}/.well-known/openid-configuration"));

        Assert.Equal($"{Str(discovery, "issuer")}/oauth/introspect", Str(discovery, "introspection_endpoint"));
        Assert.Equal($"{Str(discovery, "issuer")}/oauth/revoke", Str(discovery, "revocation_endpoint"));
    }

    private async Task<ServerKey> ServerKeyAsync(string app)
    {
        var response = await PostAsync($"/v1/admin/apps/{app}/server-keys", new { name = "backend" }, await AdminTokenAsync());
        var created = await OkJsonAsync(response);
        return new ServerKey(Str(created, "id"), Str(created, "secret"));
    }

    private static AuthenticationHeaderValue Basic(ServerKey key) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{key.Id}:{key.Secret}")));

    private async Task<HttpResponseMessage> PostFormAsync(string app, string endpoint, ServerKey? key, params (string Name, string Value)[] fields)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/apps/{app}/oauth/{endpoint}")
        {
            Content = new FormUrlEncodedContent(fields.Select(f => KeyValuePair.Create(f.Name, f.Value))),
        };
        if (key is not null)
        {
            request.Headers.Authorization = Basic(key);
        }
        return await Client.SendAsync(request, Ct);
    }

    private async Task<JsonObject> IntrospectOkAsync(string app, ServerKey key, string token, string? hint = null)
    {
        var fields = hint is null ? new[] { ("token", token) } : [("token", token), ("token_type_hint", hint)];
        var response = await PostFormAsync(app, "introspect", key, fields);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        return await OkJsonAsync(response);
    }

    private async Task AssertInactiveAsync(string app, ServerKey key, string token)
    {
        var answer = await IntrospectOkAsync(app, key, token);
        Assert.Equal("""{"active":false}""", answer.ToJsonString());
    }
}

[Collection(SqliteCollection.Name)]
public sealed class IntrospectionTests_Sqlite(SqliteServer server) : IntrospectionTests(server);

[Collection(PostgresCollection.Name)]
public sealed class IntrospectionTests_Postgres(PostgresServer server) : IntrospectionTests(server);
