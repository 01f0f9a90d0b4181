using System.Net;
using System.Text.Json.Nodes;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.Audit;

/// <summary>
/// What the trail records (admin reads of personal data, settings changes, sign-in events) with
/// actor, target, time and source; how it is read (newest first, pages, filters); who may read it.
/// </summary>
public abstract class AuditTrailTests(ServerFixture fixture) : AuditTest(fixture)
{
    [Fact]
    public async Task Invitations_and_outbox_reads_are_recorded_without_the_invitees_handle()
    {
        var app = await CreateAppAsync();
        var admin = await SuperAdminAsync();
        var email = NewEmail("invitee");

        var invitation = await OkJsonAsync(await PostAsync($"/v1/apps/{app}/invitations", new { handle = email }, Access(admin)));
        var invitationId = Str(invitation, "id");
        Assert.Equal(HttpStatusCode.NoContent, (await DeleteAsync($"/v1/apps/{app}/invitations/{invitationId}", Access(admin))).StatusCode);
        Assert.Single(await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{app}/outbox?to={Uri.EscapeDataString(email)}", Access(admin))));

        var trail = await TrailAsync(app, "?limit=3");
        Assert.Equal(["outbox.read", "invitation.revoke", "invitation.create"], trail.Select(r => Str(r, "action")));
        Assert.All(trail, r =>
        {
            Assert.Equal(UserId(admin), Str(r, "actorUserId"));
            Assert.Equal("console", Str(r, "actorAppId"));
            Assert.Null(r!["targetUserId"]);
            Assert.DoesNotContain(email, r["detail"]?.GetValue<string>() ?? "", StringComparison.OrdinalIgnoreCase);
        });
        Assert.StartsWith($"invitation={invitationId}; channel=email", Str(trail[2], "detail"));
        Assert.Equal("messages=1; filtered", Str(trail[0], "detail"));
        AssertValid(await VerifyAsync(app), 4);
    }

    [Fact]
    public async Task An_admin_reading_a_user_is_recorded_with_actor_target_and_source()
    {
        var app = await CreateAppAsync();
        var email = NewEmail();
        var user = await SignUpAsync(app, email);
        var admin = await SuperAdminAsync();

        await OkJsonAsync(await GetAsync($"/v1/admin/apps/{app}/users/{UserId(user)}", Access(admin)));
        var found = await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{app}/users?q={Uri.EscapeDataString(email)}", Access(admin)));
        Assert.Single(found);

        var trail = await TrailAsync(app);
        var read = trail.First(r => Str(r, "action") == "user.read")!;
        Assert.Equal(UserId(admin), Str(read, "actorUserId"));
        Assert.Equal("console", Str(read, "actorAppId"));
        Assert.Equal(UserId(user), Str(read, "targetUserId"));
        Assert.False(string.IsNullOrEmpty(read["source"]?.GetValue<string>()));
        Assert.Equal(Factory.Clock.GetUtcNow().UtcDateTime, read["at"]!.GetValue<DateTime>(), TimeSpan.FromSeconds(1));
        var search = trail.First(r => Str(r, "action") == "user.search")!;
        Assert.Equal(UserId(user), Str(search, "targetUserId"));
        Assert.Equal("results=1; by=handle", Str(search, "detail"));
        // Newest first: the search came after the read.
        Assert.True(search["seq"]!.GetValue<long>() > read["seq"]!.GetValue<long>());
        Assert.All(trail, r => Assert.DoesNotContain(email, r!["detail"]?.GetValue<string>() ?? "", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Settings_changes_name_the_settings_and_app_creation_is_in_the_console_trail_too()
    {
        var app = await CreateAppAsync();
        var admin = await SuperAdminAsync();

        await OkJsonAsync(await PatchAsync($"/v1/admin/apps/{app}",
            new { name = "Renamed", settings = new { codeTimeoutSeconds = 300, anonymousEnabled = true, pinEnabled = false } }, Access(admin)));
        // A patch that changes nothing is not a change.
        await OkJsonAsync(await PatchAsync($"/v1/admin/apps/{app}", new { settings = new { codeTimeoutSeconds = 300 } }, Access(admin)));

        var updates = await TrailAsync(app, "?action=app.update");
        var update = Assert.Single(updates)!;
        Assert.Equal("name,anonymousEnabled,codeTimeoutSeconds", Str(update, "detail"));
        Assert.Equal(UserId(admin), Str(update, "actorUserId"));
        var created = Assert.Single(await TrailAsync(app, "?action=app.create"))!;
        Assert.Equal(1, created["seq"]!.GetValue<long>());
        Assert.Contains(await TrailAsync("console", "?action=app.create&limit=500"), r => Str(r, "detail") == $"app={app}");

        // A server key's life is recorded too.
        var key = await OkJsonAsync(await PostAsync($"/v1/admin/apps/{app}/server-keys", new { name = "backend" }, Access(admin)));
        Assert.Equal(HttpStatusCode.NoContent, (await DeleteAsync($"/v1/admin/apps/{app}/server-keys/{Str(key, "id")}", Access(admin))).StatusCode);
        var actions = (await TrailAsync(app, "?limit=2")).Select(r => Str(r, "action"));
        Assert.Equal(["serverkey.revoke", "serverkey.create"], actions);
        AssertValid(await VerifyAsync(app), 4);
    }

    [Fact]
    public async Task Deleting_an_app_is_recorded_in_its_trail_and_the_consoles_and_its_trail_still_verifies()
    {
        var app = await CreateAppAsync();
        var admin = await SuperAdminAsync();

        Assert.Equal(HttpStatusCode.NoContent, (await DeleteAsync($"/v1/admin/apps/{app}", Access(admin))).StatusCode);

        Assert.Equal(["app.delete", "app.create"], (await TrailAsync(app)).Select(r => Str(r, "action")));
        var inConsole = (await TrailAsync("console", "?action=app.delete&limit=500")).Single(r => Str(r, "detail") == $"app={app}")!;
        Assert.Equal(UserId(admin), Str(inConsole, "actorUserId"));
        var verification = await VerifyAsync(app);
        AssertValid(verification, 2);
        // Checkpointed when the delete's transaction committed.
        Assert.Equal(2, verification["checkpoint"]!["seq"]!.GetValue<long>());
    }

    [Fact]
    public async Task Sign_ins_failed_sign_ins_and_sign_outs_are_recorded()
    {
        var app = await CreateAppAsync();
        var email = NewEmail();
        var user = await SignUpAsync(app, email);
        var userId = UserId(user);

        var tokens = await OkJsonAsync(await LoginAsync(app, email));
        await AssertProblemAsync(await LoginAsync(app, email, "not the password"), HttpStatusCode.Unauthorized, "invalid_credentials");
        await AssertProblemAsync(await LoginAsync(app, NewEmail("nobody"), "not the password"), HttpStatusCode.Unauthorized, "invalid_credentials");
        Assert.Equal(HttpStatusCode.NoContent, (await PostAsync($"/v1/apps/{app}/logout", new { }, Access(tokens))).StatusCode);

        var trail = await TrailAsync(app);
        Assert.Equal(["signout", "signin.failed", "signin.failed", "signin", "signin", "app.create"], trail.Select(r => Str(r, "action")));
        var signIn = trail[3]!;
        Assert.Equal(userId, Str(signIn, "actorUserId"));
        Assert.Equal(userId, Str(signIn, "targetUserId"));
        Assert.Equal(app, Str(signIn, "actorAppId"));
        Assert.EndsWith("; via=/login", Str(signIn, "detail"));
        Assert.EndsWith("; via=/signup", Str(trail[4], "detail"));
        // The unknown handle is the newer failure: no target; the known one names the account.
        Assert.Null(trail[1]!["targetUserId"]);
        Assert.Equal(userId, Str(trail[2], "targetUserId"));
        Assert.All([trail[1], trail[2]], r =>
        {
            Assert.Null(r!["actorUserId"]);
            Assert.Equal("method=password", Str(r, "detail"));
        });
        Assert.Equal(userId, Str(trail[0], "targetUserId"));
        Assert.All(trail, r => Assert.False(string.IsNullOrEmpty(r!["source"]?.GetValue<string>())));
        AssertValid(await VerifyAsync(app), 6);
    }

    [Fact]
    public async Task A_wrong_sign_in_code_and_the_right_one_are_recorded()
    {
        var app = await CreateAppAsync(new { methods = new[] { "password", "emailCode" } });
        var email = NewEmail("coder");
        var userId = UserId(await SignUpAsync(app, email));
        var challenge = Str(await OkJsonAsync(await PostAsync($"/v1/apps/{app}/login/code", new { email })), "challengeId");
        var code = CodeFrom(await LatestMessageAsync(app, email, "loginCode"));
        var wrong = code == "000000" ? "111111" : "000000";

        await AssertProblemAsync(await PostAsync($"/v1/apps/{app}/login/code/verify", new { challengeId = challenge, code = wrong }),
            HttpStatusCode.BadRequest, "code_invalid");
        await OkJsonAsync(await PostAsync($"/v1/apps/{app}/login/code/verify", new { challengeId = challenge, code }));

        var trail = await TrailAsync(app, "?limit=2");
        Assert.Equal(["signin", "signin.failed"], trail.Select(r => Str(r, "action")));
        Assert.Equal("method=code", Str(trail[1], "detail"));
        Assert.Equal(userId, Str(trail[1], "targetUserId"));
        Assert.EndsWith("; via=/login/code/verify", Str(trail[0], "detail"));
    }

    [Fact]
    public async Task The_trail_pages_newest_first_and_filters_by_action_target_and_actor()
    {
        var app = await CreateAppAsync();
        var first = await SignUpAsync(app);
        var second = await SignUpAsync(app);
        var admin = await SuperAdminAsync();
        await OkJsonAsync(await GetAsync($"/v1/admin/apps/{app}/users/{UserId(first)}", Access(admin)));
        // seq: 1 app.create, 2 signin (first), 3 signin (second), 4 user.read (first)

        var page = await TrailAsync(app, "?limit=2");
        Assert.Equal([4L, 3L], page.Select(r => r!["seq"]!.GetValue<long>()));
        var next = await TrailAsync(app, $"?limit=2&before={page[^1]!["seq"]}");
        Assert.Equal([2L, 1L], next.Select(r => r!["seq"]!.GetValue<long>()));
        Assert.Empty(await TrailAsync(app, "?before=1"));

        Assert.Equal([3L, 2L], (await TrailAsync(app, "?action=signin")).Select(r => r!["seq"]!.GetValue<long>()));
        Assert.Equal([4L, 2L], (await TrailAsync(app, $"?targetUserId={UserId(first)}")).Select(r => r!["seq"]!.GetValue<long>()));
        Assert.Equal([3L], (await TrailAsync(app, $"?actorUserId={UserId(second)}")).Select(r => r!["seq"]!.GetValue<long>()));
        // The super admin created the app and read the user.
        var byAdmin = await TrailAsync(app, $"?actorUserId={UserId(admin)}");
        Assert.Equal([4L, 1L], byAdmin.Select(r => r!["seq"]!.GetValue<long>()));
        Assert.Equal(["id", "seq", "at", "action", "actorUserId", "actorAppId", "targetUserId", "detail", "source"],
            byAdmin[0]!.AsObject().Select(p => p.Key));

        await AssertProblemAsync(await GetAsync($"/v1/admin/apps/{app}/audit?limit=0", Access(admin)), HttpStatusCode.BadRequest, "invalid_request");
        await AssertProblemAsync(await GetAsync($"/v1/admin/apps/{app}/audit?limit=501", Access(admin)), HttpStatusCode.BadRequest, "invalid_request");
    }

    [Fact]
    public async Task Only_admins_of_the_app_read_its_trail_and_only_super_admins_the_checkpoint_key()
    {
        var app = await CreateAppAsync();
        var other = await CreateAppAsync();
        var user = await SignUpAsync(app);
        var otherEmail = NewEmail("other-admin");
        var otherAdmin = await SignUpAsync(other, otherEmail);
        await OkJsonAsync(await PatchAsync($"/v1/admin/apps/{other}/users/{UserId(otherAdmin)}", new { role = "admin" }, await AdminTokenAsync()));
        var otherAdminToken = Access(await OkJsonAsync(await LoginAsync(other, otherEmail)));

        foreach (var path in new[] { $"/v1/admin/apps/{app}/audit", $"/v1/admin/apps/{app}/audit/verify" })
        {
            await AssertForbiddenAsync(await GetAsync(path, Access(user)));
            await AssertForbiddenAsync(await GetAsync(path, otherAdminToken));
            await AssertProblemAsync(await GetAsync(path), HttpStatusCode.Unauthorized, "unauthorized");
        }
        // The other app's admin reads their own app's trail, but not the platform's checkpoint key.
        Assert.NotEmpty(await TrailAsync(other, bearer: otherAdminToken));
        await AssertForbiddenAsync(await GetAsync("/v1/admin/audit/checkpoint-key", otherAdminToken));
        var key = await OkJsonAsync(await GetAsync("/v1/admin/audit/checkpoint-key", await AdminTokenAsync()));
        Assert.Equal("ES256", Str(key, "algorithm"));
        Assert.Equal("P-256", Str(key["jwk"], "crv"));
        Assert.Null(key["jwk"]!["d"]);
        Assert.StartsWith("-----BEGIN PUBLIC KEY-----", Str(key, "publicKeyPem"));
    }
}

[Collection(SqliteCollection.Name)]
public sealed class AuditTrailTests_Sqlite(SqliteServer server) : AuditTrailTests(server);

[Collection(PostgresCollection.Name)]
public sealed class AuditTrailTests_Postgres(PostgresServer server) : AuditTrailTests(server);
