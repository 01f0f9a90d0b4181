using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Tests.Features.Oidc;

/// <summary>X1: registering an app's OpenID Connect clients through the admin API, and the rules a registration keeps.</summary>
public abstract class OidcClientAdminTests(ServerFixture fixture) : ApiTest(fixture)
{
    [Fact]
    public async Task A_public_native_client_is_registered_read_listed_changed_and_deleted()
    {
        var app = await CreateAppAsync();
        var admin = await AdminTokenAsync();
        var created = await PostAsync($"/v1/admin/apps/{app}/clients", new
        {
            clientId = "ios-app",
            name = "iOS app",
            type = "public",
            redirectUris = new[] { "com.example.app:/oauth/callback", "http://127.0.0.1/callback", "https://app.example.com/cb", "http://127.0.0.1/callback" },
        }, admin);
        var body = await OkJsonAsync(created);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.EndsWith($"/v1/admin/apps/{app}/clients/ios-app", created.Headers.Location?.OriginalString);
        Assert.Equal("ios-app", Str(body, "clientId"));
        Assert.Equal("public", Str(body, "type"));
        Assert.Equal(["com.example.app:/oauth/callback", "http://127.0.0.1/callback", "https://app.example.com/cb"], Strings(body["redirectUris"]));
        Assert.Empty(Strings(body["postLogoutRedirectUris"]));
        Assert.Null(body["scopes"]);
        Assert.False(body.ContainsKey("clientSecret"));

        var read = await OkJsonAsync(await GetAsync($"/v1/admin/apps/{app}/clients/ios-app", admin));
        Assert.Equal(Str(body, "createdAt"), Str(read, "createdAt"));
        Assert.Equal("iOS app", Str(read, "name"));

        var changed = await OkJsonAsync(await PatchAsync($"/v1/admin/apps/{app}/clients/ios-app",
            new { name = "iOS", postLogoutRedirectUris = new[] { "com.example.app:/signed-out" }, scopes = new[] { "openid", "profile", "orders:read" } }, admin));
        Assert.Equal("iOS", Str(changed, "name"));
        Assert.Equal(3, changed["redirectUris"]!.AsArray().Count);
        Assert.Equal(["com.example.app:/signed-out"], Strings(changed["postLogoutRedirectUris"]));
        Assert.Equal(["openid", "profile", "orders:read"], Strings(changed["scopes"]));
        // null gives back every scope of the app; an absent field stays as it was.
        var everyScope = await OkJsonAsync(await PatchRawAsync($"/v1/admin/apps/{app}/clients/ios-app", """{"scopes":null}""", admin));
        Assert.Null(everyScope["scopes"]);
        Assert.Equal("iOS", Str(everyScope, "name"));

        await PostAsync($"/v1/admin/apps/{app}/clients", new { name = "Android", type = "public", redirectUris = new[] { "com.example.android:/cb" } }, admin);
        var listed = await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{app}/clients", admin));
        Assert.Equal(["Android", "iOS"], listed.Select(c => Str(c, "name")).Order(StringComparer.Ordinal));
        Assert.Matches("^[0-9a-f]{32}$", Str(listed.Single(c => Str(c, "name") == "Android"), "clientId"));
        Assert.All(listed, c => Assert.False(c!.AsObject().ContainsKey("clientSecret")));
        // Another app's clients are its own, and its ids are free to reuse.
        var other = await CreateAppAsync();
        Assert.Empty(await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{other}/clients", admin)));
        await AssertProblemAsync(await GetAsync($"/v1/admin/apps/{other}/clients/ios-app", admin), HttpStatusCode.NotFound, "not_found");
        Assert.Equal(HttpStatusCode.Created, (await PostAsync($"/v1/admin/apps/{other}/clients",
            new { clientId = "ios-app", name = "Theirs", type = "public", redirectUris = new[] { "com.other:/cb" } }, admin)).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await DeleteAsync($"/v1/admin/apps/{app}/clients/ios-app", admin)).StatusCode);
        await AssertProblemAsync(await GetAsync($"/v1/admin/apps/{app}/clients/ios-app", admin), HttpStatusCode.NotFound, "not_found");
        await AssertProblemAsync(await DeleteAsync($"/v1/admin/apps/{app}/clients/ios-app", admin), HttpStatusCode.NotFound, "not_found");
        Assert.Equal(["Android"], (await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{app}/clients", admin))).Select(c => Str(c, "name")));
        Assert.Equal(HttpStatusCode.OK, (await GetAsync($"/v1/admin/apps/{other}/clients/ios-app", admin)).StatusCode);

        var actions = (await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{app}/audit", admin))).Select(r => Str(r, "action")).ToList();
        Assert.Equal(["client.delete", "client.create", "client.update", "client.update", "client.create"], actions.Where(a => a.StartsWith("client.", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_confidential_client_sees_its_secret_once_and_the_database_keeps_only_its_hash()
    {
        var app = await CreateAppAsync();
        var admin = await AdminTokenAsync();
        var created = await OkJsonAsync(await PostAsync($"/v1/admin/apps/{app}/clients",
            new { clientId = "backend", name = "Orders service", type = "confidential", redirectUris = Array.Empty<string>() }, admin));
        var secret = Str(created, "clientSecret");
        Assert.True(secret.Length >= 43, secret);
        Assert.Empty(Strings(created["redirectUris"]));
        Assert.False((await OkJsonAsync(await GetAsync($"/v1/admin/apps/{app}/clients/backend", admin))).ContainsKey("clientSecret"));
        Assert.Equal(Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(secret))), Convert.ToHexString(await StoredHashAsync(app, "backend")));

        var rotated = await OkJsonAsync(await PostAsync($"/v1/admin/apps/{app}/clients/backend/secret", new { }, admin));
        Assert.Equal("backend", Str(rotated, "clientId"));
        Assert.NotEqual(secret, Str(rotated, "clientSecret"));
        Assert.Equal(Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(Str(rotated, "clientSecret")))), Convert.ToHexString(await StoredHashAsync(app, "backend")));

        // A public client has no secret to rotate, and no client changes its type.
        await PostAsync($"/v1/admin/apps/{app}/clients", new { clientId = "ios", name = "iOS", type = "public", redirectUris = new[] { "com.example:/cb" } }, admin);
        await AssertProblemAsync(await PostAsync($"/v1/admin/apps/{app}/clients/ios/secret", new { }, admin), HttpStatusCode.Conflict, "client_public");
        var retyped = await AssertProblemAsync(await PatchAsync($"/v1/admin/apps/{app}/clients/ios", new { type = "confidential" }, admin),
            HttpStatusCode.BadRequest, "invalid_request");
        Assert.NotNull(retyped["errors"]!["type"]);
        await AssertProblemAsync(await PostAsync($"/v1/admin/apps/{app}/clients",
            new { clientId = "ios", name = "Again", type = "public", redirectUris = new[] { "com.example:/cb" } }, admin), HttpStatusCode.Conflict, "client_exists");
    }

    [Theory]
    [InlineData("https://app.example.com/cb#frag", "fragment")]
    [InlineData("https://evil@app.example.com/cb", "user information")]
    [InlineData("http://app.example.com/cb", "loopback")]
    [InlineData("http://127.0.0.1.evil.com/cb", "loopback")]
    [InlineData("javascript:alert(1)", "javascript")]
    [InlineData("data:text/html,hi", "data")]
    [InlineData("/relative/cb", "absolute")]
    [InlineData("", "empty")]
    [InlineData("com.example.app:/cb with space", "spaces")]
    [InlineData("HTTPS://app.example.com/cb", "lower case")]
    public async Task A_redirect_uri_that_could_leak_the_code_is_refused(string uri, string reason)
    {
        var app = await CreateAppAsync();
        var refused = await AssertProblemAsync(await PostAsync($"/v1/admin/apps/{app}/clients",
            new { name = "App", type = "public", redirectUris = new[] { "com.example.app:/cb", uri } }, await AdminTokenAsync()), HttpStatusCode.BadRequest, "invalid_request");
        Assert.Contains(reason, string.Join(" ", Strings(refused["errors"]!["redirectUris"])), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Every_bad_field_of_a_registration_is_named_at_once_and_nothing_is_stored()
    {
        var app = await CreateAppAsync();
        var admin = await AdminTokenAsync();
        var refused = await AssertProblemAsync(await PostAsync($"/v1/admin/apps/{app}/clients", new
        {
            clientId = "has space",
            name = "",
            type = "spa",
            redirectUris = Enumerable.Range(0, 21).Select(i => $"com.example:/cb{i}").ToArray(),
            postLogoutRedirectUris = new[] { "ftp://example.com/out" },
            scopes = new[] { "ok", "not ok", "quote\"" },
        }, admin), HttpStatusCode.BadRequest, "invalid_request");
        Assert.Equal(["clientId", "name", "postLogoutRedirectUris", "redirectUris", "scopes", "type"],
            refused["errors"]!.AsObject().Select(e => e.Key).Order(StringComparer.Ordinal));
        Assert.Equal(2, refused["errors"]!["scopes"]!.AsArray().Count);

        // A public client needs somewhere to return to; a confidential one is a server and takes no app schemes.
        var noUris = await AssertProblemAsync(await PostAsync($"/v1/admin/apps/{app}/clients", new { name = "App", type = "public" }, admin),
            HttpStatusCode.BadRequest, "invalid_request");
        Assert.NotNull(noUris["errors"]!["redirectUris"]);
        var scheme = await AssertProblemAsync(await PostAsync($"/v1/admin/apps/{app}/clients",
            new { name = "Server", type = "confidential", redirectUris = new[] { "com.example.app:/cb" } }, admin), HttpStatusCode.BadRequest, "invalid_request");
        Assert.Contains("confidential", Strings(scheme["errors"]!["redirectUris"]).Single());

        // Wrong JSON types and unknown fields are the client's error too.
        await AssertProblemAsync(await PostRawAsync($"/v1/admin/apps/{app}/clients", """{"name":"App","type":"public","redirectUris":"com.example:/cb"}""", admin),
            HttpStatusCode.BadRequest, "invalid_request");
        await AssertProblemAsync(await PostRawAsync($"/v1/admin/apps/{app}/clients", """{"name":"App","type":"public","redirectUris":["com.example:/cb"],"grantTypes":["implicit"]}""", admin),
            HttpStatusCode.BadRequest, "invalid_request");
        await AssertProblemAsync(await PostRawAsync($"/v1/admin/apps/{app}/clients", "{", admin), HttpStatusCode.BadRequest, "invalid_request");
        await PostAsync($"/v1/admin/apps/{app}/clients", new { clientId = "ios", name = "iOS", type = "public", redirectUris = new[] { "com.example:/cb" } }, admin);
        await AssertProblemAsync(await PatchRawAsync($"/v1/admin/apps/{app}/clients/ios", """{"scopes":"openid"}""", admin), HttpStatusCode.BadRequest, "invalid_request");
        await AssertProblemAsync(await PatchAsync($"/v1/admin/apps/{app}/clients/ios", new { redirectUris = Array.Empty<string>() }, admin),
            HttpStatusCode.BadRequest, "invalid_request");

        Assert.Equal(["ios"], (await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{app}/clients", admin))).Select(c => Str(c, "clientId")));
        Assert.Equal(["com.example:/cb"], Strings((await OkJsonAsync(await GetAsync($"/v1/admin/apps/{app}/clients/ios", admin)))["redirectUris"]));
    }

    [Fact]
    public async Task Clients_of_an_unknown_app_answer_app_not_found_and_only_admins_reach_them()
    {
        var admin = await AdminTokenAsync();
        await AssertProblemAsync(await GetAsync("/v1/admin/apps/no-such-app/clients", admin), HttpStatusCode.NotFound, "app_not_found");
        await AssertProblemAsync(await GetAsync("/v1/admin/apps/no-such-app/clients/x", admin), HttpStatusCode.NotFound, "app_not_found");
        await AssertProblemAsync(await PostAsync("/v1/admin/apps/no-such-app/clients",
            new { name = "App", type = "public", redirectUris = new[] { "com.example:/cb" } }, admin), HttpStatusCode.NotFound, "app_not_found");

        var app = await CreateAppAsync();
        var user = Str(await SignUpAsync(app), "access_token");
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync($"/v1/admin/apps/{app}/clients")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await GetAsync($"/v1/admin/apps/{app}/clients", user)).StatusCode);
    }

    private Task<HttpResponseMessage> PatchRawAsync(string path, string json, string bearer) =>
        SendAsync(HttpMethod.Patch, path, new StringContent(json, Encoding.UTF8, "application/json"), bearer);

    private static IEnumerable<string> Strings(JsonNode? node) => node!.AsArray().Select(n => n!.GetValue<string>());

    private async Task<byte[]> StoredHashAsync(string app, string clientId)
    {
        await using var scope = Factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LatchkeyDbContext>();
        return (await db.OidcClients.IgnoreQueryFilters().SingleAsync(c => c.AppId == app && c.ClientId == clientId, Ct)).SecretHash!;
    }
}

[Collection(SqliteCollection.Name)]
public sealed class OidcClientAdminTests_Sqlite(SqliteServer server) : OidcClientAdminTests(server);

[Collection(PostgresCollection.Name)]
public sealed class OidcClientAdminTests_Postgres(PostgresServer server) : OidcClientAdminTests(server);
