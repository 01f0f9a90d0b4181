using System.Net;
using System.Text.Json.Nodes;
using Latchkey.Tests.Features.Onboarding;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.Profile;

/// <summary>
/// Issue 11, defect 9: what the app granted a user (an invitation's coupon, a tier) is appMetadata,
/// which admins, app server keys and trusted invitations write; the user reads it on /me and in
/// token answers and may rewrite only their own metadata.
/// </summary>
public abstract class AppMetadataTests(ServerFixture fixture) : OnboardingTest(fixture)
{
    private async Task<JsonObject> InvitedAsync(string app, object metadata)
    {
        var email = NewEmail("invitee");
        await CreatedJsonAsync(await PostAsync($"/v1/apps/{app}/invitations", new { handle = email, metadata }, await AdminTokenAsync()));
        var code = CodeFrom(await LatestMessageAsync(app, email, "invitation"));
        return await OkJsonAsync(await PostAsync($"/v1/apps/{app}/invitations/accept", new { handle = email, code, password = GoodPassword }));
    }

    [Fact]
    public async Task An_invited_user_reads_what_the_invitation_granted_but_cannot_rewrite_it()
    {
        var app = await CreateAppAsync(new { accessMode = "inviteOnly", signupFlow = "code" });
        var tokens = await InvitedAsync(app, new { coupon = "WELCOME10", tier = "gold" });
        Assert.Equal("gold", Str(tokens["user"]!["appMetadata"], "tier"));

        var refused = await PatchAsync($"/v1/apps/{app}/me", new { appMetadata = new { tier = "platinum" }, displayName = "Eve" }, Access(tokens));

        AssertErrorFor(await AssertProblemAsync(refused, HttpStatusCode.BadRequest, "invalid_request"), "appMetadata");
        // Their own metadata is theirs: writing a tier there grants nothing.
        var patched = await OkJsonAsync(await PatchAsync($"/v1/apps/{app}/me", new { metadata = new { tier = "platinum" } }, Access(tokens)));
        Assert.Equal("platinum", Str(patched["metadata"], "tier"));
        Assert.Equal("gold", Str(patched["appMetadata"], "tier"));
        var me = await MeAsync(app, Access(tokens));
        Assert.Equal("gold", Str(me["appMetadata"], "tier"));
        Assert.Equal("WELCOME10", Str(me["appMetadata"], "coupon"));
        Assert.Null(me["displayName"]);
        var refreshed = await OkJsonAsync(await PostAsync($"/v1/apps/{app}/token", new { refresh_token = Refresh(tokens) }));
        Assert.Equal("gold", Str(refreshed["user"]!["appMetadata"], "tier"));
        Assert.Equal("platinum", Str(refreshed["user"]!["metadata"], "tier"));
    }

    [Fact]
    public async Task Sign_up_metadata_is_the_users_own_and_grants_nothing()
    {
        var app = await CreateAppAsync();

        var tokens = await SignUpAsync(app, metadata: new { tier = "gold" });

        Assert.Equal("gold", Str(tokens["user"]!["metadata"], "tier"));
        Assert.Equal("{}", tokens["user"]!["appMetadata"]!.ToJsonString());
        Assert.Equal("{}", (await MeAsync(app, Access(tokens)))["appMetadata"]!.ToJsonString());
    }

    [Fact]
    public async Task Admins_read_and_write_both_kinds_of_metadata()
    {
        var app = await CreateAppAsync();
        var admin = await AdminTokenAsync();
        var created = await CreateUserAsync(app, new { email = NewEmail("made"), password = GoodPassword, emailVerified = true,
            metadata = new { note = "hi" }, appMetadata = new { tier = "silver" } });
        var path = $"/v1/admin/apps/{app}/users/{Str(created, "id")}";
        Assert.Equal("silver", Str(created["appMetadata"], "tier"));
        Assert.Equal("hi", Str(created["metadata"], "note"));

        var changed = await OkJsonAsync(await PatchAsync(path, new { appMetadata = new { tier = "gold", seats = 3 } }, admin));

        Assert.Equal("gold", Str(changed["appMetadata"], "tier"));
        Assert.Equal("hi", Str(changed["metadata"], "note"));
        var read = await OkJsonAsync(await GetAsync(path, admin));
        Assert.Equal(3, read["appMetadata"]!["seats"]!.GetValue<int>());
        var user = await LoginOkAsync(app, Str(created, "email"));
        Assert.Equal("gold", Str(user["user"]!["appMetadata"], "tier"));
        Assert.Equal("gold", Str((await MeAsync(app, Access(user)))["appMetadata"], "tier"));
        var emptied = await OkJsonAsync(await PatchAsync(path, new { appMetadata = new { } }, admin));
        Assert.Equal("{}", emptied["appMetadata"]!.ToJsonString());
        Assert.Equal("hi", Str(emptied["metadata"], "note"));
    }

    [Fact]
    public async Task The_apps_server_writes_app_metadata_with_its_key_and_nobody_else_does()
    {
        var app = await CreateAppAsync();
        var admin = await AdminTokenAsync();
        var key = await CreatedJsonAsync(await PostAsync($"/v1/admin/apps/{app}/server-keys", new { name = "billing" }, admin));
        var tokens = await SignUpAsync(app);
        var path = $"/v1/apps/{app}/users/{UserId(tokens)}/app-metadata";

        var written = await OkJsonAsync(await SendBasicAsync(HttpMethod.Put, path, new { tier = "paid", renews = "2027-01-01" }, Str(key, "id"), Str(key, "secret")));

        Assert.Equal("paid", Str(written["appMetadata"], "tier"));
        Assert.Equal("paid", Str((await MeAsync(app, Access(tokens)))["appMetadata"], "tier"));
        // The user's own bearer, no credentials, or a wrong secret write nothing.
        await AssertProblemAsync(await SendAsync(HttpMethod.Put, path, JsonContent.Create(new { tier = "free" }), Access(tokens)), HttpStatusCode.Unauthorized, "unauthorized");
        await AssertProblemAsync(await SendAsync(HttpMethod.Put, path, JsonContent.Create(new { tier = "free" }), null), HttpStatusCode.Unauthorized, "unauthorized");
        await AssertProblemAsync(await SendBasicAsync(HttpMethod.Put, path, new { tier = "free" }, Str(key, "id"), Str(key, "secret") + "x"),
            HttpStatusCode.Unauthorized, "unauthorized");
        Assert.Equal("paid", Str((await MeAsync(app, Access(tokens)))["appMetadata"], "tier"));
        // Another app's key does not reach this app's users.
        var other = await CreateAppAsync();
        var otherKey = await CreatedJsonAsync(await PostAsync($"/v1/admin/apps/{other}/server-keys", new { name = "other" }, admin));
        await AssertProblemAsync(await SendBasicAsync(HttpMethod.Put, path, new { tier = "free" }, Str(otherKey, "id"), Str(otherKey, "secret")),
            HttpStatusCode.Unauthorized, "unauthorized");
        await AssertProblemAsync(await SendBasicAsync(HttpMethod.Put, $"/v1/apps/{other}/users/{UserId(tokens)}/app-metadata", new { tier = "free" },
            Str(otherKey, "id"), Str(otherKey, "secret")), HttpStatusCode.NotFound, "not_found");
    }
}

[Collection(SqliteCollection.Name)]
public sealed class AppMetadataTests_Sqlite(SqliteServer server) : AppMetadataTests(server);

[Collection(PostgresCollection.Name)]
public sealed class AppMetadataTests_Postgres(PostgresServer server) : AppMetadataTests(server);
