using System.Net;
using System.Text.Json.Nodes;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.Tokens;

/// <summary>
/// A compromised signing key is revoked: it leaves the JWKS at once, and no token it signed (nor
/// one its thief signs, with any expiry) is accepted by the server or active in introspection.
/// A retired key, too, validates nothing once its publish window has passed.
/// </summary>
public abstract class KeyRevocationTests(ServerFixture fixture) : TokenTest(fixture)
{
    [Fact]
    public async Task A_revoked_key_leaves_the_jwks_at_once_and_every_token_it_signed_is_refused()
    {
        var app = await CreateAppAsync();
        var server = await ServerKeyAsync(app);
        var email = NewEmail("revoked");
        var tokens = await SignUpAsync(app, email);
        var before = Str(tokens, "access_token");
        var oldKid = KeyRotationTests.Kid(before);
        // What a thief of the private key mints: a month-long token for the same session.
        var stolen = await StolenPrivateKeyAsync(oldKid);
        var forged = Resign(before, stolen, oldKid, claims => claims["exp"] = UnixNow + (long)TimeSpan.FromDays(30).TotalSeconds);
        await OkJsonAsync(await GetAsync($"/v1/apps/{app}/me", forged));

        var revoke = await PostAsync($"/v1/admin/apps/{app}/keys/{oldKid}/revoke", new { }, await AdminTokenAsync());

        Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        var kids = await JwksKidsAsync(app);
        Assert.DoesNotContain(oldKid, kids);
        var newKid = Assert.Single(kids);
        foreach (var token in new[] { before, forged })
        {
            await AssertProblemAsync(await GetAsync($"/v1/apps/{app}/me", token), HttpStatusCode.Unauthorized, "unauthorized");
            Assert.False(await IsActiveAsync(app, server, token));
        }
        // The app goes on signing, with the key that replaced it; the session itself lives on.
        var refreshed = Str(await OkJsonAsync(await PostAsync($"/v1/apps/{app}/token", new { refresh_token = Str(tokens, "refresh_token") })), "access_token");
        Assert.Equal(newKid, KeyRotationTests.Kid(refreshed));
        await OkJsonAsync(await GetAsync($"/v1/apps/{app}/me", refreshed));
        Assert.True(await IsActiveAsync(app, server, refreshed));
        Assert.Equal(newKid, KeyRotationTests.Kid(await LoginAccessAsync(app, email)));

        var keys = await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{app}/keys", await AdminTokenAsync()));
        var revoked = keys.Single(k => Str(k, "kid") == oldKid)!;
        Assert.Equal("revoked", Str(revoked, "state"));
        Assert.Equal(Str(revoked, "revokedAt"), Str(revoked, "unpublishAt"));
        Assert.Equal("active", Str(keys.Single(k => Str(k, "kid") == newKid), "state"));
        var audit = Assert.Single(await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{app}/audit?action=keys.revoke", await AdminTokenAsync())))!;
        Assert.Contains(oldKid, Str(audit, "detail"));
        Assert.Contains(newKid, Str(audit, "detail"));

        // Again: nothing more happens (no second replacement, no second record).
        Assert.Equal(HttpStatusCode.NoContent, (await PostAsync($"/v1/admin/apps/{app}/keys/{oldKid}/revoke", new { }, await AdminTokenAsync())).StatusCode);
        Assert.Equal([newKid], await JwksKidsAsync(app));
        Assert.Single(await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{app}/audit?action=keys.revoke", await AdminTokenAsync())));
    }

    [Fact]
    public async Task Revoking_a_retired_key_refuses_its_tokens_and_keeps_the_active_key()
    {
        var app = await CreateAppAsync();
        var email = NewEmail("retired");
        var before = Str(await SignUpAsync(app, email), "access_token");
        var oldKid = KeyRotationTests.Kid(before);
        var newKid = Str((await OkJsonAsync(await PostAsync($"/v1/admin/apps/{app}/keys/rotate?immediate=true", new { }, await AdminTokenAsync())))["next"], "kid");
        // A rotation keeps the old key's tokens alive.
        await OkJsonAsync(await GetAsync($"/v1/apps/{app}/me", before));

        Assert.Equal(HttpStatusCode.NoContent, (await PostAsync($"/v1/admin/apps/{app}/keys/{oldKid}/revoke", new { }, await AdminTokenAsync())).StatusCode);

        await AssertProblemAsync(await GetAsync($"/v1/apps/{app}/me", before), HttpStatusCode.Unauthorized, "unauthorized");
        Assert.Equal([newKid], await JwksKidsAsync(app));
        Assert.Equal(newKid, KeyRotationTests.Kid(await LoginAccessAsync(app, email)));
    }

    [Fact]
    public async Task Revoking_the_next_key_of_a_rotation_replaces_it_with_a_key_that_signs_at_once()
    {
        var app = await CreateAppAsync();
        var email = NewEmail("next");
        var before = Str(await SignUpAsync(app, email), "access_token");
        var oldKid = KeyRotationTests.Kid(before);
        var nextKid = Str((await OkJsonAsync(await PostAsync($"/v1/admin/apps/{app}/keys/rotate", new { }, await AdminTokenAsync())))["next"], "kid");
        Factory.Clock.Advance(TimeSpan.FromMinutes(1));

        Assert.Equal(HttpStatusCode.NoContent, (await PostAsync($"/v1/admin/apps/{app}/keys/{nextKid}/revoke", new { }, await AdminTokenAsync())).StatusCode);

        var signing = KeyRotationTests.Kid(await LoginAccessAsync(app, email));
        Assert.NotEqual(nextKid, signing);
        Assert.NotEqual(oldKid, signing);
        Assert.Equal([signing, oldKid], await JwksKidsAsync(app));
        // The revoked key never signs, not even when its time would have come.
        Factory.Clock.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(signing, KeyRotationTests.Kid(await LoginAccessAsync(app, email)));
        await OkJsonAsync(await GetAsync($"/v1/apps/{app}/me", before));
        var keys = await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{app}/keys", await AdminTokenAsync()));
        Assert.Equal([(signing, "active"), (nextKid, "revoked"), (oldKid, "retired")], keys.Select(k => (Str(k, "kid"), Str(k, "state"))));
    }

    [Fact]
    public async Task Only_the_apps_admins_revoke_and_only_its_own_keys()
    {
        var app = await CreateAppAsync();
        var other = await CreateAppAsync();
        var user = Str(await SignUpAsync(app), "access_token");
        var kid = KeyRotationTests.Kid(user);
        var otherKid = KeyRotationTests.Kid(Str(await SignUpAsync(other), "access_token"));
        var admin = await AdminTokenAsync();

        await AssertProblemAsync(await PostAsync($"/v1/admin/apps/{app}/keys/{kid}/revoke", new { }, user), HttpStatusCode.Forbidden, "forbidden");
        await AssertProblemAsync(await PostAsync($"/v1/admin/apps/{app}/keys/{kid}/revoke", new { }), HttpStatusCode.Unauthorized, "unauthorized");
        await AssertProblemAsync(await PostAsync($"/v1/admin/apps/{app}/keys/no-such-key/revoke", new { }, admin), HttpStatusCode.NotFound, "not_found");
        await AssertProblemAsync(await PostAsync($"/v1/admin/apps/{app}/keys/{otherKid}/revoke", new { }, admin), HttpStatusCode.NotFound, "not_found");
        await AssertProblemAsync(await PostAsync($"/v1/admin/apps/no-such-app/keys/{kid}/revoke", new { }, admin), HttpStatusCode.NotFound, "app_not_found");

        Assert.Equal([kid], await JwksKidsAsync(app));
        Assert.Equal([otherKid], await JwksKidsAsync(other));
        await OkJsonAsync(await GetAsync($"/v1/apps/{app}/me", user));
    }

    [Fact]
    public async Task A_token_signed_by_a_retired_key_past_its_publish_window_is_refused()
    {
        var app = await CreateAppAsync();
        var server = await ServerKeyAsync(app);
        var before = Str(await SignUpAsync(app), "access_token");
        var oldKid = KeyRotationTests.Kid(before);
        var stolen = await StolenPrivateKeyAsync(oldKid);
        var forged = Resign(before, stolen, oldKid, claims => claims["exp"] = UnixNow + (long)TimeSpan.FromDays(30).TotalSeconds);
        var rotation = await OkJsonAsync(await PostAsync($"/v1/admin/apps/{app}/keys/rotate?immediate=true", new { }, await AdminTokenAsync()));
        var newKid = Str(rotation["next"], "kid");
        // Within the window the old key still validates (its honest tokens may be alive).
        await OkJsonAsync(await GetAsync($"/v1/apps/{app}/me", forged));

        var previous = rotation["previous"]!;
        Factory.Clock.SetUtcNow(Time(previous, "unpublishAt") + TimeSpan.FromSeconds(1));

        Assert.Equal([newKid], await JwksKidsAsync(app));
        await AssertProblemAsync(await GetAsync($"/v1/apps/{app}/me", forged), HttpStatusCode.Unauthorized, "unauthorized");
        Assert.False(await IsActiveAsync(app, server, forged));
        // The same claims signed by the key the app publishes are fine: the session is live, the key is what is refused.
        var current = Resign(before, await StolenPrivateKeyAsync(newKid), newKid, claims => claims["exp"] = UnixNow + 600);
        await OkJsonAsync(await GetAsync($"/v1/apps/{app}/me", current));
        Assert.True(await IsActiveAsync(app, server, current));
    }
}

[Collection(SqliteCollection.Name)]
public sealed class KeyRevocationTests_Sqlite(SqliteServer server) : KeyRevocationTests(server);

[Collection(PostgresCollection.Name)]
public sealed class KeyRevocationTests_Postgres(PostgresServer server) : KeyRevocationTests(server);
