using System.Net;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.Onboarding;

/// <summary>A1 users made by admins, and B6 an admin resetting a user's password or email.</summary>
public abstract class AdminUserTests(ServerFixture fixture) : OnboardingTest(fixture)
{
    [Fact]
    public async Task An_admin_creates_a_user_in_an_invite_only_app_who_can_then_sign_in()
    {
        var app = await CreateAppAsync(new { accessMode = "inviteOnly", signupFlow = "code" });
        var email = NewEmail("made");

        var user = await CreateUserAsync(app, new { email, password = GoodPassword, role = "user", emailVerified = true, metadata = new { employeeNo = 42 } });

        Assert.Equal(email, Str(user, "email"));
        var tokens = await LoginOkAsync(app, email);
        Assert.Equal(Str(user, "id"), UserId(tokens));
        Assert.Equal("user", Str(tokens["user"], "role"));
        var me = await MeAsync(app, Access(tokens));
        Assert.True(Bool(me, "emailVerified"));
        Assert.Equal(42, me["metadata"]!["employeeNo"]!.GetValue<int>());
        Assert.Single(await FindUsersAsync(app, email));
    }

    [Fact]
    public async Task An_admin_creates_a_user_with_a_phone_and_a_user_name()
    {
        var app = await CreateAppAsync(new
        {
            accessMode = "inviteOnly",
            signupFlow = "code",
            usernamesEnabled = true,
            methods = new[] { "password", "smsCode" },
        });

        var user = await CreateUserAsync(app, new { phone = PhoneAsTyped, username = "Desk.Clerk", password = GoodPassword });

        Assert.Equal(PhoneE164, Str(user, "phone"));
        Assert.Equal("Desk.Clerk", Str(user, "username"));
        Assert.Equal(Str(user, "id"), UserId(await LoginOkAsync(app, "desk.clerk")));
        Assert.Equal(Str(user, "id"), UserId(await LoginOkAsync(app, PhoneE164)));
    }

    [Fact]
    public async Task An_admin_cannot_create_a_second_user_with_a_taken_email_or_user_name()
    {
        var app = await CreateAppAsync(new { accessMode = "inviteOnly", signupFlow = "code", usernamesEnabled = true });
        var email = NewEmail("dup");
        await CreateUserAsync(app, new { email, username = "Unique", password = GoodPassword });
        var admin = await AdminTokenAsync();

        await AssertProblemAsync(await PostAsync($"/v1/admin/apps/{app}/users", new { email = email.ToUpperInvariant(), password = GoodPassword }, admin),
            HttpStatusCode.Conflict, "email_taken");
        var otherEmail = NewEmail("other");
        await AssertProblemAsync(await PostAsync($"/v1/admin/apps/{app}/users", new { email = otherEmail, username = "UNIQUE", password = GoodPassword }, admin),
            HttpStatusCode.Conflict, "username_taken");

        await AssertNoUserAsync(app, otherEmail);
    }

    [Fact]
    public async Task An_admin_makes_a_user_an_app_admin_and_the_next_tokens_say_so()
    {
        var app = await CreateAppAsync(new { accessMode = "open", signupFlow = "none" });
        var email = NewEmail("promoted");
        var tokens = await SignUpAsync(app, email);

        var patched = await OkJsonAsync(await PatchAsync($"/v1/admin/apps/{app}/users/{UserId(tokens)}", new { role = "admin" }, await AdminTokenAsync()));

        Assert.Equal("admin", Str(patched, "role"));
        Assert.Equal("admin", Str((await LoginOkAsync(app, email))["user"], "role"));
    }

    [Fact]
    public async Task An_admin_resets_a_users_password_and_their_sessions_end()
    {
        var app = await CreateAppAsync(new { accessMode = "open", signupFlow = "none" });
        var email = NewEmail("locked-out");
        var tokens = await SignUpAsync(app, email);

        await OkJsonAsync(await PatchAsync($"/v1/admin/apps/{app}/users/{UserId(tokens)}", new { password = OtherPassword }, await AdminTokenAsync()));

        await AssertProblemAsync(await LoginAsync(app, email), HttpStatusCode.Unauthorized, "invalid_credentials");
        Assert.Equal(UserId(tokens), UserId(await LoginOkAsync(app, email, OtherPassword)));
        await AssertProblemAsync(await PostAsync($"/v1/apps/{app}/token", new { refresh_token = Refresh(tokens) }),
            HttpStatusCode.Unauthorized, "session_revoked");
        await AssertProblemAsync(await GetAsync($"/v1/apps/{app}/me", Access(tokens)), HttpStatusCode.Unauthorized, "session_revoked");
    }

    [Fact]
    public async Task An_admin_resetting_to_a_weak_password_is_refused()
    {
        var app = await CreateAppAsync(new { accessMode = "open", signupFlow = "none" });
        var email = NewEmail("weakreset");
        var tokens = await SignUpAsync(app, email);

        var response = await PatchAsync($"/v1/admin/apps/{app}/users/{UserId(tokens)}", new { password = "password1" }, await AdminTokenAsync());

        AssertErrorFor(await AssertProblemAsync(response, HttpStatusCode.BadRequest, "invalid_request"), "password");
        await LoginOkAsync(app, email);
        await OkJsonAsync(await PostAsync($"/v1/apps/{app}/token", new { refresh_token = Refresh(tokens) }));
    }

    [Fact]
    public async Task An_admin_changes_a_users_email_and_the_new_one_is_the_login_handle()
    {
        var app = await CreateAppAsync(new { accessMode = "open", signupFlow = "none" });
        var oldEmail = NewEmail("old");
        var newEmail = NewEmail("new");
        var tokens = await SignUpAsync(app, oldEmail);

        var patched = await OkJsonAsync(await PatchAsync($"/v1/admin/apps/{app}/users/{UserId(tokens)}", new { email = newEmail }, await AdminTokenAsync()));

        Assert.Equal(newEmail, Str(patched, "email"));
        await AssertProblemAsync(await LoginAsync(app, oldEmail), HttpStatusCode.Unauthorized, "invalid_credentials");
        var login = await LoginOkAsync(app, newEmail);
        Assert.Equal(UserId(tokens), UserId(login));
        Assert.Equal(newEmail, Str(login["user"], "email"));
        await AssertNoUserAsync(app, oldEmail);
        Assert.Equal(UserId(tokens), Str(Assert.Single(await FindUsersAsync(app, newEmail)), "id"));
        // The old address is free again.
        await SignUpAsync(app, oldEmail);
    }

    [Fact]
    public async Task An_admin_cannot_move_a_user_onto_someone_elses_email()
    {
        var app = await CreateAppAsync(new { accessMode = "open", signupFlow = "none" });
        var taken = NewEmail("taken");
        await SignUpAsync(app, taken);
        var email = NewEmail("mover");
        var tokens = await SignUpAsync(app, email);

        await AssertProblemAsync(await PatchAsync($"/v1/admin/apps/{app}/users/{UserId(tokens)}", new { email = taken }, await AdminTokenAsync()),
            HttpStatusCode.Conflict, "email_taken");

        await LoginOkAsync(app, email);
    }

    [Fact]
    public async Task A_disabled_user_cannot_sign_in_until_enabled_again()
    {
        var app = await CreateAppAsync(new { accessMode = "open", signupFlow = "none" });
        var email = NewEmail("disabled");
        var tokens = await SignUpAsync(app, email);
        var admin = await AdminTokenAsync();

        var patched = await OkJsonAsync(await PatchAsync($"/v1/admin/apps/{app}/users/{UserId(tokens)}", new { disabled = true }, admin));

        Assert.True(Bool(patched, "disabled"));
        await AssertProblemAsync(await LoginAsync(app, email), HttpStatusCode.Forbidden, "user_disabled");
        await AssertClientErrorAsync(await PostAsync($"/v1/apps/{app}/token", new { refresh_token = Refresh(tokens) }));
        await OkJsonAsync(await PatchAsync($"/v1/admin/apps/{app}/users/{UserId(tokens)}", new { disabled = false }, admin));
        await LoginOkAsync(app, email);
    }

    [Fact]
    public async Task A_deleted_user_can_no_longer_sign_in()
    {
        var app = await CreateAppAsync(new { accessMode = "open", signupFlow = "none" });
        var email = NewEmail("deleted");
        var tokens = await SignUpAsync(app, email);
        var admin = await AdminTokenAsync();

        Assert.Equal(HttpStatusCode.NoContent, (await DeleteAsync($"/v1/admin/apps/{app}/users/{UserId(tokens)}", admin)).StatusCode);

        await AssertProblemAsync(await LoginAsync(app, email), HttpStatusCode.Unauthorized, "invalid_credentials");
        await AssertProblemAsync(await GetAsync($"/v1/admin/apps/{app}/users/{UserId(tokens)}", admin), HttpStatusCode.NotFound, "not_found");
        var refresh = await PostAsync($"/v1/apps/{app}/token", new { refresh_token = Refresh(tokens) });
        Assert.Equal(HttpStatusCode.Unauthorized, refresh.StatusCode);
        await AssertNoUserAsync(app, email);
        await AssertProblemAsync(await DeleteAsync($"/v1/admin/apps/{app}/users/{UserId(tokens)}", admin), HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task An_admin_of_one_app_cannot_manage_another_apps_users()
    {
        var app = await CreateAppAsync(new { accessMode = "open", signupFlow = "none" });
        var other = await CreateAppAsync(new { accessMode = "open", signupFlow = "none" });
        var appAdmin = await AppAdminAsync(app);
        var email = NewEmail("elsewhere");
        var victim = await SignUpAsync(other, email);

        await AssertClientErrorAsync(await PatchAsync($"/v1/admin/apps/{other}/users/{UserId(victim)}", new { password = OtherPassword }, Access(appAdmin)));
        await AssertClientErrorAsync(await PostAsync($"/v1/admin/apps/{other}/users", new { email = NewEmail("planted"), password = GoodPassword }, Access(appAdmin)));
        await AssertProblemAsync(await PatchAsync($"/v1/admin/apps/{app}/users/{UserId(victim)}", new { password = OtherPassword }, Access(appAdmin)),
            HttpStatusCode.NotFound, "not_found");

        await LoginOkAsync(other, email);
    }

    [Fact]
    public async Task An_app_admin_creates_users_in_their_own_app()
    {
        var app = await CreateAppAsync(new { accessMode = "inviteOnly", signupFlow = "code" });
        var appAdmin = await AppAdminAsync(app);
        var email = NewEmail("byappadmin");

        var created = await CreatedJsonAsync(await PostAsync($"/v1/admin/apps/{app}/users", new { email, password = GoodPassword }, Access(appAdmin)));

        Assert.Equal(Str(created, "id"), UserId(await LoginOkAsync(app, email)));
    }
}

[Collection(SqliteCollection.Name)]
public sealed class AdminUserTests_Sqlite(SqliteServer server) : AdminUserTests(server);

[Collection(PostgresCollection.Name)]
public sealed class AdminUserTests_Postgres(PostgresServer server) : AdminUserTests(server);
