using System.Buffers.Text;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.Tokens;

/// <summary>
/// T3: manual signing-key rotation without downtime. Tokens are checked by an independent JOSE
/// library (npm jose) against the JWKS the server publishes, at the tests' clock.
/// </summary>
public abstract class KeyRotationTests(ServerFixture fixture) : ApiTest(fixture)
{
    [Fact]
    public async Task A_rotation_publishes_the_next_key_before_it_signs_and_keeps_the_old_one_until_its_tokens_expired()
    {
        var app = await CreateAppAsync();
        var email = NewEmail("rotating");
        var before = Str(await SignUpAsync(app, email), "access_token");
        var oldKid = Kid(before);

        var rotation = await OkJsonAsync(await PostAsync($"/v1/admin/apps/{app}/keys/rotate", new { }, await AdminTokenAsync()));

        var next = rotation["next"]!;
        var newKid = Str(next, "kid");
        Assert.NotEqual(oldKid, newKid);
        Assert.Equal("next", Str(next, "state"));
        Assert.Equal(TimeSpan.FromMinutes(10), Time(next, "activeFrom") - Time(next, "publishedAt"));
        Assert.Equal(oldKid, Str(rotation["previous"], "kid"));
        Assert.Equal(Time(next, "activeFrom"), Time(rotation["previous"], "retiredAt"));
        // Published before it signs: resource servers learn the key first.
        Assert.Equal([newKid, oldKid], await JwksKidsAsync(app));
        Assert.Equal(oldKid, Kid(await LoginAccessAsync(app, email)));

        Factory.Clock.Advance(TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(1));

        var after = await LoginAccessAsync(app, email);
        Assert.Equal(newKid, Kid(after));
        Assert.Equal([newKid, oldKid], await JwksKidsAsync(app));
        // The token from before the rotation still verifies, independently and at the server.
        Assert.Equal(oldKid, Str((await VerifyWithJoseAsync(app, before))["protectedHeader"], "kid"));
        Assert.Equal(newKid, Str((await VerifyWithJoseAsync(app, after))["protectedHeader"], "kid"));
        await OkJsonAsync(await GetAsync($"/v1/apps/{app}/me", before));

        var keys = await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{app}/keys", await AdminTokenAsync()));
        Assert.Equal("active", Str(keys.Single(k => Str(k, "kid") == newKid), "state"));
        var retired = keys.Single(k => Str(k, "kid") == oldKid)!;
        Assert.Equal("retired", Str(retired, "state"));

        // Once every token the old key signed has expired, it leaves the JWKS.
        Factory.Clock.SetUtcNow(Time(retired, "unpublishAt") + TimeSpan.FromSeconds(1));
        Assert.Equal([newKid], await JwksKidsAsync(app));
        var later = await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{app}/keys", await AdminTokenAsync()));
        Assert.Equal("unpublished", Str(later.Single(k => Str(k, "kid") == oldKid), "state"));
        await VerifyWithJoseAsync(app, await LoginAccessAsync(app, email));
    }

    [Fact]
    public async Task An_emergency_rotation_signs_with_the_new_key_at_once()
    {
        var app = await CreateAppAsync();
        var email = NewEmail("emergency");
        var before = Str(await SignUpAsync(app, email), "access_token");

        var rotation = await OkJsonAsync(await PostAsync($"/v1/admin/apps/{app}/keys/rotate?immediate=true", new { }, await AdminTokenAsync()));

        var newKid = Str(rotation["next"], "kid");
        Assert.Equal("active", Str(rotation["next"], "state"));
        Assert.Equal(newKid, Kid(await LoginAccessAsync(app, email)));
        await VerifyWithJoseAsync(app, before);
        await OkJsonAsync(await GetAsync($"/v1/apps/{app}/me", before));
    }

    [Fact]
    public async Task A_second_rotation_before_the_first_key_signs_supersedes_it()
    {
        var app = await CreateAppAsync();
        var email = NewEmail("twice");
        var oldKid = Kid(Str(await SignUpAsync(app, email), "access_token"));
        var admin = await AdminTokenAsync();

        var first = Str((await OkJsonAsync(await PostAsync($"/v1/admin/apps/{app}/keys/rotate", new { }, admin)))["next"], "kid");
        Factory.Clock.Advance(TimeSpan.FromMinutes(5));
        var second = await OkJsonAsync(await PostAsync($"/v1/admin/apps/{app}/keys/rotate", new { immediate = false }, admin));

        var secondKid = Str(second["next"], "kid");
        Assert.Equal(3, (await JwksKidsAsync(app)).Count);
        Factory.Clock.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1));
        Assert.Equal(first, Kid(await LoginAccessAsync(app, email)));
        Factory.Clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(secondKid, Kid(await LoginAccessAsync(app, email)));
        var keys = await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{app}/keys", await AdminTokenAsync()));
        Assert.Equal(["active", "retired", "retired"], keys.Select(k => Str(k, "state")));
        Assert.Equal([secondKid, first, oldKid], keys.Select(k => Str(k, "kid")));
    }

    [Fact]
    public async Task Only_the_apps_admins_rotate_its_keys()
    {
        var app = await CreateAppAsync();
        var other = await CreateAppAsync();
        var user = Str(await SignUpAsync(app), "access_token");
        var otherAdmin = await AppAdminAccessAsync(other);
        var appAdmin = await AppAdminAccessAsync(app);

        await AssertProblemAsync(await PostAsync($"/v1/admin/apps/{app}/keys/rotate", new { }, user), HttpStatusCode.Forbidden, "forbidden");
        await AssertProblemAsync(await PostAsync($"/v1/admin/apps/{app}/keys/rotate", new { }, otherAdmin), HttpStatusCode.Forbidden, "forbidden");
        await AssertProblemAsync(await GetAsync($"/v1/admin/apps/{app}/keys", otherAdmin), HttpStatusCode.Forbidden, "forbidden");
        Assert.Single(await JwksKidsAsync(app));

        await OkJsonAsync(await PostAsync($"/v1/admin/apps/{app}/keys/rotate", new { }, appAdmin));
        Assert.Equal(2, (await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{app}/keys", appAdmin))).Count);
        await AssertProblemAsync(await GetAsync("/v1/admin/apps/no-such-app/keys", await AdminTokenAsync()), HttpStatusCode.NotFound, "app_not_found");
    }

    private async Task<string> AppAdminAccessAsync(string app)
    {
        var email = NewEmail("keyadmin");
        var created = await PostAsync($"/v1/admin/apps/{app}/users", new { email, password = GoodPassword, role = "admin", emailVerified = true }, await AdminTokenAsync());
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return await LoginAccessAsync(app, email);
    }

    private async Task<string> LoginAccessAsync(string app, string email) =>
        Str(await OkJsonAsync(await PostAsync($"/v1/apps/{app}/login", new { handle = email, password = GoodPassword })), "access_token");

    private async Task<List<string>> JwksKidsAsync(string app) =>
        (await OkJsonAsync(await GetAsync($"/v1/apps/{app}/.well-known/jwks.json")))["keys"]!.AsArray().Select(k => Str(k, "kid")).ToList();

    private async Task<JsonNode> VerifyWithJoseAsync(string app, string token)
    {
        var jwks = await (await GetAsync($"/v1/apps/{app}/.well-known/jwks.json")).Content.ReadAsStringAsync(Ct);
        var issuer = Str(await OkJsonAsync(await GetAsync($"/v1/apps/{app}/.well-known/openid-configuration")), "issuer");
        var at = Factory.Clock.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        return JsonNode.Parse(await IndependentVerificationTests.RunNodeAsync("verify-jwt-at.mjs", Ct, token, jwks, issuer, app, at))!;
    }

    internal static string Kid(string jwt) => Str(JsonNode.Parse(Base64Url.DecodeFromChars(jwt.Split('.')[0])), "kid");

    private static DateTimeOffset Time(JsonNode? node, string name) =>
        DateTimeOffset.Parse(Str(node, name), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
}

[Collection(SqliteCollection.Name)]
public sealed class KeyRotationTests_Sqlite(SqliteServer server) : KeyRotationTests(server);

[Collection(PostgresCollection.Name)]
public sealed class KeyRotationTests_Postgres(PostgresServer server) : KeyRotationTests(server);
