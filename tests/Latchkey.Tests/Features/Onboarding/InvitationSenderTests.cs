using System.Net;
using System.Text.Json.Nodes;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.Onboarding;

/// <summary>A6: who may invite (users where the app allows it, admins, the app's server keys) and revoking.</summary>
public abstract class InvitationSenderTests(ServerFixture fixture) : OnboardingTest(fixture)
{
    [Fact]
    public async Task A_user_may_invite_a_friend_only_when_the_app_allows_it()
    {
        var app = await CreateAppAsync(new { accessMode = "inviteOnly", signupFlow = "code", invitationsEnabled = false });
        var member = await MemberAsync(app);
        var friend = NewEmail("friend");

        await AssertProblemAsync(await PostAsync($"/v1/apps/{app}/invitations", new { handle = friend }, Access(member)),
            HttpStatusCode.Forbidden, "forbidden");
        await AssertNoMessageAsync(app, friend, "invitation");

        await PatchSettingsAsync(app, new { invitationsEnabled = true });
        await CreatedJsonAsync(await PostAsync($"/v1/apps/{app}/invitations", new { handle = friend, metadata = new { referrer = "member" } }, Access(member)));

        var code = CodeFrom(await LatestMessageAsync(app, friend, "invitation"));
        var tokens = await OkJsonAsync(await AcceptAsync(app, friend, code));
        // A fellow user grants nothing: their metadata joins the invitee's own, never appMetadata.
        var me = await MeAsync(app, Access(tokens));
        Assert.Equal("member", Str(me["metadata"], "referrer"));
        Assert.Equal("{}", me["appMetadata"]!.ToJsonString());
    }

    [Fact]
    public async Task An_app_admin_invites_even_when_users_may_not()
    {
        var app = await CreateAppAsync(new { accessMode = "inviteOnly", signupFlow = "code", invitationsEnabled = false });
        var appAdmin = await AppAdminAsync(app);
        var email = NewEmail("byappadmin");

        await CreatedJsonAsync(await PostAsync($"/v1/apps/{app}/invitations", new { handle = email }, Access(appAdmin)));

        await OkJsonAsync(await AcceptAsync(app, email, CodeFrom(await LatestMessageAsync(app, email, "invitation"))));
    }

    [Fact]
    public async Task Nobody_invites_without_a_bearer_or_a_server_key()
    {
        var app = await CreateAppAsync(new { accessMode = "inviteOnly", signupFlow = "code", invitationsEnabled = true });
        var email = NewEmail("anonymousinvite");

        await AssertProblemAsync(await PostAsync($"/v1/apps/{app}/invitations", new { handle = email }), HttpStatusCode.Unauthorized, "unauthorized");

        await AssertNoMessageAsync(app, email);
    }

    [Fact]
    public async Task The_apps_server_invites_with_its_key_until_the_key_is_deleted()
    {
        var app = await CreateAppAsync(new { accessMode = "inviteOnly", signupFlow = "code" });
        var admin = await AdminTokenAsync();
        var key = await CreatedJsonAsync(await PostAsync($"/v1/admin/apps/{app}/server-keys", new { name = "backend" }, admin));
        var keyId = Str(key, "id");
        var secret = Str(key, "secret");
        Assert.Equal("backend", Str(key, "name"));
        Assert.NotNull(key["createdAt"]);

        var listed = await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{app}/server-keys", admin));
        var entry = Assert.Single(listed)!.AsObject();
        Assert.Equal(keyId, Str(entry, "id"));
        Assert.Equal("backend", Str(entry, "name"));
        Assert.False(entry.ContainsKey("secret"));
        Assert.DoesNotContain(secret, listed.ToJsonString());

        var email = NewEmail("byserver");
        await CreatedJsonAsync(await SendBasicAsync(HttpMethod.Post, $"/v1/apps/{app}/invitations", new { handle = email, metadata = new { plan = "pro" } }, keyId, secret));
        var tokens = await OkJsonAsync(await AcceptAsync(app, email, CodeFrom(await LatestMessageAsync(app, email, "invitation"))));
        Assert.Equal("pro", Str((await MeAsync(app, Access(tokens)))["appMetadata"], "plan"));

        await AssertProblemAsync(await SendBasicAsync(HttpMethod.Post, $"/v1/apps/{app}/invitations", new { handle = NewEmail("forged") }, keyId, secret + "x"),
            HttpStatusCode.Unauthorized, "unauthorized");

        Assert.Equal(HttpStatusCode.NoContent, (await DeleteAsync($"/v1/admin/apps/{app}/server-keys/{keyId}", admin)).StatusCode);

        var late = NewEmail("afterdelete");
        await AssertProblemAsync(await SendBasicAsync(HttpMethod.Post, $"/v1/apps/{app}/invitations", new { handle = late }, keyId, secret),
            HttpStatusCode.Unauthorized, "unauthorized");
        await AssertNoMessageAsync(app, late);
        // The list may keep the key for the record, but only as revoked.
        var afterDelete = await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{app}/server-keys", admin));
        Assert.All(afterDelete.Where(k => Str(k, "id") == keyId), k => Assert.NotNull(k!["revokedAt"]));
    }

    [Fact]
    public async Task A_server_key_of_one_app_does_not_work_for_another()
    {
        var app = await CreateAppAsync(new { accessMode = "inviteOnly", signupFlow = "code" });
        var other = await CreateAppAsync(new { accessMode = "inviteOnly", signupFlow = "code" });
        var key = await CreatedJsonAsync(await PostAsync($"/v1/admin/apps/{app}/server-keys", new { name = "backend" }, await AdminTokenAsync()));
        var email = NewEmail("wrongkey");

        var response = await SendBasicAsync(HttpMethod.Post, $"/v1/apps/{other}/invitations", new { handle = email }, Str(key, "id"), Str(key, "secret"));

        await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "unauthorized");
        await AssertNoMessageAsync(other, email);
        Assert.Empty(await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{other}/server-keys", await AdminTokenAsync())));
    }

    [Fact]
    public async Task The_inviter_revokes_an_invitation_and_its_code_stops_working()
    {
        var app = await CreateAppAsync(new { accessMode = "inviteOnly", signupFlow = "code", invitationsEnabled = true });
        var inviter = await MemberAsync(app);
        var bystander = await MemberAsync(app);
        var email = NewEmail("revoked");
        var invitation = await CreatedJsonAsync(await PostAsync($"/v1/apps/{app}/invitations", new { handle = email }, Access(inviter)));
        var code = CodeFrom(await LatestMessageAsync(app, email, "invitation"));
        var path = $"/v1/apps/{app}/invitations/{Str(invitation, "id")}";

        var notTheirs = await DeleteAsync(path, Access(bystander));
        await AssertProblemOneOfAsync(notTheirs, (HttpStatusCode.Forbidden, "forbidden"), (HttpStatusCode.NotFound, "not_found"));

        Assert.Equal(HttpStatusCode.NoContent, (await DeleteAsync(path, Access(inviter))).StatusCode);

        await AssertProblemAsync(await AcceptAsync(app, email, code), HttpStatusCode.BadRequest, "code_invalid");
        await AssertNoUserAsync(app, email);
    }

    [Fact]
    public async Task An_admin_revokes_an_invitation_someone_else_sent()
    {
        var app = await CreateAppAsync(new { accessMode = "inviteOnly", signupFlow = "code", invitationsEnabled = true });
        var inviter = await MemberAsync(app);
        var email = NewEmail("adminrevoked");
        var invitation = await CreatedJsonAsync(await PostAsync($"/v1/apps/{app}/invitations", new { handle = email }, Access(inviter)));
        var code = CodeFrom(await LatestMessageAsync(app, email, "invitation"));

        var appAdmin = await AppAdminAsync(app);
        Assert.Equal(HttpStatusCode.NoContent, (await DeleteAsync($"/v1/apps/{app}/invitations/{Str(invitation, "id")}", Access(appAdmin))).StatusCode);

        await AssertProblemAsync(await AcceptAsync(app, email, code), HttpStatusCode.BadRequest, "code_invalid");
        // A fresh invitation works again (after any resend pause for the handle).
        Factory.Clock.Advance(TimeSpan.FromSeconds(31));
        await CreatedJsonAsync(await PostAsync($"/v1/apps/{app}/invitations", new { handle = email }, await AdminTokenAsync()));
        await OkJsonAsync(await AcceptAsync(app, email, CodeFrom(await LatestMessageAsync(app, email, "invitation"))));
    }

    [Fact]
    public async Task A_user_of_another_app_cannot_invite_here()
    {
        var app = await CreateAppAsync(new { accessMode = "inviteOnly", signupFlow = "code", invitationsEnabled = true });
        var other = await CreateAppAsync(new { accessMode = "open", signupFlow = "none", invitationsEnabled = true });
        var stranger = await SignUpAsync(other);
        var email = NewEmail("crossinvite");

        await AssertProblemAsync(await PostAsync($"/v1/apps/{app}/invitations", new { handle = email }, Access(stranger)),
            HttpStatusCode.Unauthorized, "unauthorized");

        await AssertNoMessageAsync(app, email);
    }

    private async Task<JsonObject> MemberAsync(string app)
    {
        var email = NewEmail("member");
        await CreateUserAsync(app, new { email, password = GoodPassword, emailVerified = true });
        return await LoginOkAsync(app, email);
    }

    private Task<HttpResponseMessage> AcceptAsync(string app, string handle, string code) =>
        PostAsync($"/v1/apps/{app}/invitations/accept", new { handle, code, password = GoodPassword });
}

[Collection(SqliteCollection.Name)]
public sealed class InvitationSenderTests_Sqlite(SqliteServer server) : InvitationSenderTests(server);

[Collection(PostgresCollection.Name)]
public sealed class InvitationSenderTests_Postgres(PostgresServer server) : InvitationSenderTests(server);
