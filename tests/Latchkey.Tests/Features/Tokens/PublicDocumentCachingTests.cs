using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.Tokens;

/// <summary>
/// The JWKS and the discovery document are served from memory with a strong ETag: a resource
/// server that already has them gets 304, and a change of keys changes the JWKS's ETag at once
/// on the node that made it, and within a few seconds on every other node.
/// </summary>
public abstract class PublicDocumentCachingTests(ServerFixture fixture) : TokenTest(fixture)
{
    [Theory]
    [InlineData("jwks.json")]
    [InlineData("openid-configuration")]
    public async Task A_document_the_client_has_answers_304_with_its_etag(string document)
    {
        var app = await CreateAppAsync();
        var path = $"/v1/apps/{app}/.well-known/{document}";

        var first = await GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var etag = first.Headers.ETag;
        Assert.NotNull(etag);
        Assert.False(etag.IsWeak);
        Assert.Equal("public, max-age=300", first.Headers.CacheControl?.ToString());
        var body = await first.Content.ReadAsStringAsync(Ct);
        Assert.NotNull(JsonNode.Parse(body));

        var again = await ConditionalGetAsync(path, etag.Tag);
        Assert.Equal(HttpStatusCode.NotModified, again.StatusCode);
        Assert.Equal(etag, again.Headers.ETag);
        Assert.Empty(await again.Content.ReadAsByteArrayAsync(Ct));
        Assert.Equal(HttpStatusCode.NotModified, (await ConditionalGetAsync(path, $"\"other\", W/{etag.Tag}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotModified, (await ConditionalGetAsync(path, "*")).StatusCode);

        var changed = await ConditionalGetAsync(path, "\"not-the-current-one\"");
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.Equal(body, await changed.Content.ReadAsStringAsync(Ct));
        // A malformed If-None-Match is no match: the document is answered.
        Assert.Equal(HttpStatusCode.OK, (await ConditionalGetAsync(path, "garbage without quotes")).StatusCode);
    }

    [Fact]
    public async Task A_rotation_changes_the_jwks_and_its_etag_at_once()
    {
        var app = await CreateAppAsync();
        var path = $"/v1/apps/{app}/.well-known/jwks.json";
        var before = (await GetAsync(path)).Headers.ETag!.Tag;

        var next = Str((await OkJsonAsync(await PostAsync($"/v1/admin/apps/{app}/keys/rotate", new { }, await AdminTokenAsync())))["next"], "kid");

        var after = await ConditionalGetAsync(path, before);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.NotEqual(before, after.Headers.ETag!.Tag);
        Assert.Contains(next, await JwksKidsAsync(app));
    }

    [Fact]
    public async Task A_key_revoked_on_one_node_leaves_the_other_nodes_jwks_within_seconds()
    {
        var app = await CreateAppAsync();
        var other = SharedSibling(new Dictionary<string, string?>());
        using var otherClient = other.CreateClient();
        var kid = Assert.Single(await JwksKidsAsync(app));
        Assert.Contains(kid, await KidsAsync(otherClient, app));

        Assert.Equal(HttpStatusCode.NoContent, (await PostAsync($"/v1/admin/apps/{app}/keys/{kid}/revoke", new { }, await AdminTokenAsync())).StatusCode);

        Assert.DoesNotContain(kid, await JwksKidsAsync(app));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while ((await KidsAsync(otherClient, app)).Contains(kid))
        {
            Assert.True(DateTime.UtcNow < deadline, "The other node still publishes the revoked key after 10 s.");
            await Task.Delay(200, Ct);
        }
    }

    private async Task<List<string>> KidsAsync(HttpClient client, string app)
    {
        var jwks = JsonNode.Parse(await client.GetStringAsync($"/v1/apps/{app}/.well-known/jwks.json", Ct))!;
        return jwks["keys"]!.AsArray().Select(k => Str(k, "kid")).ToList();
    }

    private async Task<HttpResponseMessage> ConditionalGetAsync(string path, string ifNoneMatch)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch);
        return await Client.SendAsync(request, Ct);
    }
}

[Collection(SqliteCollection.Name)]
public sealed class PublicDocumentCachingTests_Sqlite(SqliteServer server) : PublicDocumentCachingTests(server);

[Collection(PostgresCollection.Name)]
public sealed class PublicDocumentCachingTests_Postgres(PostgresServer server) : PublicDocumentCachingTests(server);
