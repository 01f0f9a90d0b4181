using System.Net;
using System.Text.RegularExpressions;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.Onboarding;

/// <summary>A4 anonymous guests: ANON_ handles, the admin's list, and upgrading in place.</summary>
public abstract class AnonymousTests(ServerFixture fixture) : OnboardingTest(fixture)
{
    private static readonly object Phone = new { id = "guest-dev", name = "Guest's Pixel", platform = "android" };

    [Fact]
    public async Task A_guest_signs_in_anonymously_with_an_ANON_handle()
    {
        var app = await CreateAppAsync(new { accessMode = "open", signupFlow = "code", anonymousEnabled = true });

        var tokens = await OkJsonAsync(await PostAsync($"/v1/apps/{app}/anonymous", new { device = Phone }));

        var user = tokens["user"]!;
        Assert.True(Bool(user, "anonymous"));
        Assert.Matches(new Regex("^ANON_[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$"), Str(user, "handle"));
        Assert.Null(user["email"]);
        Assert.Null(user["phone"]);
        var me = await MeAsync(app, Access(tokens));
        Assert.True(Bool(me, "anonymous"));
        Assert.Equal(UserId(tokens), Str(me, "id"));
        var sessions = await OkJsonArrayAsync(await GetAsync($"/v1/apps/{app}/me/sessions", Access(tokens)));
        Assert.Equal("Guest's Pixel", Str(Assert.Single(sessions)!["device"], "name"));
        // Every guest is a new user.
        var another = await OkJsonAsync(await PostAsync($"/v1/apps/{app}/anonymous", new { }));
        Assert.NotEqual(UserId(tokens), UserId(another));
        Assert.NotEqual(Str(user, "handle"), Str(another["user"], "handle"));
    }

    [Fact]
    public async Task Anonymous_sign_in_is_forbidden_when_the_app_has_it_off()
    {
        var app = await CreateAppAsync(new { accessMode = "open", signupFlow = "none", anonymousEnabled = false });

        await AssertProblemAsync(await PostAsync($"/v1/apps/{app}/anonymous", new { }), HttpStatusCode.Forbidden, "forbidden");

        Assert.Empty(await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{app}/users", await AdminTokenAsync())));
    }

    [Fact]
    public async Task An_invite_only_app_refuses_anonymous_guests()
    {
        var app = await CreateAppAsync(new { accessMode = "inviteOnly", signupFlow = "code" });

        await AssertProblemAsync(await PostAsync($"/v1/apps/{app}/anonymous", new { }), HttpStatusCode.Forbidden, "invitation_required");
    }

    [Fact]
    public async Task Anonymous_sign_in_is_refused_while_sign_up_is_off()
    {
        var app = await CreateAppAsync(new { accessMode = "open", signupFlow = "none", anonymousEnabled = true, signupEnabled = false });

        // The contract names no code for this case; either refusal is a 403 and creates nobody.
        await AssertProblemOneOfAsync(await PostAsync($"/v1/apps/{app}/anonymous", new { }),
            (HttpStatusCode.Forbidden, "signup_disabled"), (HttpStatusCode.Forbidden, "forbidden"));

        Assert.Empty(await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{app}/users", await AdminTokenAsync())));
    }

    [Fact]
    public async Task Admins_list_the_anonymous_users_apart()
    {
        var app = await CreateAppAsync(new { accessMode = "open", signupFlow = "none", anonymousEnabled = true });
        var guestA = UserId(await OkJsonAsync(await PostAsync($"/v1/apps/{app}/anonymous", new { })));
        var guestB = UserId(await OkJsonAsync(await PostAsync($"/v1/apps/{app}/anonymous", new { })));
        var member = UserId(await SignUpAsync(app));

        var listed = await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{app}/users?anonymous=true", await AdminTokenAsync()));

        Assert.Equal(new[] { guestA, guestB }.Order(), listed.Select(u => Str(u, "id")).Order());
        Assert.All(listed, u => Assert.True(Bool(u, "anonymous")));
        var everyone = await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{app}/users", await AdminTokenAsync()));
        Assert.Contains(everyone, u => Str(u, "id") == member);
    }

    [Fact]
    public async Task A_guest_upgrades_in_place_and_keeps_their_id_data_and_session()
    {
        var app = await CreateAppAsync(new { accessMode = "open", signupFlow = "none", anonymousEnabled = true });
        var guest = await OkJsonAsync(await PostAsync($"/v1/apps/{app}/anonymous", new { device = Phone }));
        await OkJsonAsync(await PatchAsync($"/v1/apps/{app}/me", new { displayName = "Guest Star", metadata = new { cart = 3 } }, Access(guest)));
        var email = NewEmail("upgraded");

        var upgraded = await OkJsonAsync(await PostAsync($"/v1/apps/{app}/me/upgrade", new { email, password = GoodPassword }, Access(guest)));

        Assert.Equal(UserId(guest), UserId(upgraded));
        Assert.False(Bool(upgraded["user"], "anonymous"));
        Assert.Equal(email, Str(upgraded["user"], "email"));
        var me = await MeAsync(app, Access(upgraded));
        Assert.Equal("Guest Star", Str(me, "displayName"));
        Assert.Equal(3, me["metadata"]!["cart"]!.GetValue<int>());
        Assert.False(Bool(me, "anonymous"));
        // The guest's own session lives on.
        var oldSession = await MeAsync(app, Access(guest));
        Assert.Equal(email, Str(oldSession, "email"));
        var refreshed = await OkJsonAsync(await PostAsync($"/v1/apps/{app}/token", new { refresh_token = Refresh(guest) }));
        Assert.Equal(UserId(guest), UserId(refreshed));
        // And the email and password now sign in to the same user.
        Assert.Equal(UserId(guest), UserId(await LoginOkAsync(app, email)));
        var anonymous = await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{app}/users?anonymous=true", await AdminTokenAsync()));
        Assert.DoesNotContain(anonymous, u => Str(u, "id") == UserId(guest));
    }

    [Fact]
    public async Task A_guest_upgrading_in_an_app_with_code_verification_stays_a_guest_until_the_code_is_entered()
    {
        var app = await CreateAppAsync(new { accessMode = "open", signupFlow = "code", anonymousEnabled = true });
        var guest = await OkJsonAsync(await PostAsync($"/v1/apps/{app}/anonymous", new { }));
        await OkJsonAsync(await PatchAsync($"/v1/apps/{app}/me", new { displayName = "Soon Real" }, Access(guest)));
        var email = NewEmail("verifiedupgrade");

        var response = await PostAsync($"/v1/apps/{app}/me/upgrade", new { email, password = GoodPassword }, Access(guest));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var pending = await OkJsonAsync(response);
        Assert.Equal("code", Str(pending, "flow"));
        Assert.True(Bool(await MeAsync(app, Access(guest)), "anonymous"));
        var code = CodeFrom(await LatestMessageAsync(app, email, "verifyCode"));

        var tokens = await OkJsonAsync(await VerifySignupAsync(app, Str(pending, "verificationId"), code));

        Assert.Equal(UserId(guest), UserId(tokens));
        Assert.False(Bool(tokens["user"], "anonymous"));
        Assert.Equal(email, Str(tokens["user"], "email"));
        var me = await MeAsync(app, Access(tokens));
        Assert.True(Bool(me, "emailVerified"));
        Assert.Equal("Soon Real", Str(me, "displayName"));
        Assert.False(Bool(await MeAsync(app, Access(guest)), "anonymous"));
        Assert.Equal(UserId(guest), UserId(await LoginOkAsync(app, email)));
    }

    [Fact]
    public async Task A_guest_can_take_a_user_name_when_upgrading()
    {
        var app = await CreateAppAsync(new { accessMode = "open", signupFlow = "none", anonymousEnabled = true, usernamesEnabled = true });
        var guest = await OkJsonAsync(await PostAsync($"/v1/apps/{app}/anonymous", new { }));

        var upgraded = await OkJsonAsync(await PostAsync($"/v1/apps/{app}/me/upgrade",
            new { email = NewEmail("named"), password = GoodPassword, username = "Night.Owl" }, Access(guest)));

        Assert.Equal("Night.Owl", Str(upgraded["user"], "username"));
        Assert.Equal(UserId(guest), UserId(await LoginOkAsync(app, "night.owl")));
    }

    [Fact]
    public async Task Only_a_guest_can_upgrade()
    {
        var app = await CreateAppAsync(new { accessMode = "open", signupFlow = "none", anonymousEnabled = true });
        var email = NewEmail("member");
        var member = await SignUpAsync(app, email);

        await AssertProblemAsync(await PostAsync($"/v1/apps/{app}/me/upgrade", new { email = NewEmail("other"), password = GoodPassword }, Access(member)),
            HttpStatusCode.Conflict, "not_anonymous");
        await AssertProblemAsync(await PostAsync($"/v1/apps/{app}/me/upgrade", new { email = NewEmail("nobody"), password = GoodPassword }),
            HttpStatusCode.Unauthorized, "unauthorized");

        Assert.Equal(email, Str(await MeAsync(app, Access(member)), "email"));
    }

    [Fact]
    public async Task A_guest_cannot_upgrade_to_an_email_someone_already_has()
    {
        var app = await CreateAppAsync(new { accessMode = "open", signupFlow = "none", anonymousEnabled = true });
        var email = NewEmail("owner");
        var owner = await SignUpAsync(app, email);
        var guest = await OkJsonAsync(await PostAsync($"/v1/apps/{app}/anonymous", new { }));

        await AssertProblemAsync(await PostAsync($"/v1/apps/{app}/me/upgrade", new { email = email.ToUpperInvariant(), password = OtherPassword }, Access(guest)),
            HttpStatusCode.Conflict, "email_taken");

        Assert.True(Bool(await MeAsync(app, Access(guest)), "anonymous"));
        Assert.Equal(UserId(owner), UserId(await LoginOkAsync(app, email)));
        await AssertProblemAsync(await LoginAsync(app, email, OtherPassword), HttpStatusCode.Unauthorized, "invalid_credentials");
    }

    [Fact]
    public async Task A_weak_password_stops_the_upgrade_and_the_guest_stays_a_guest()
    {
        var app = await CreateAppAsync(new { accessMode = "open", signupFlow = "none", anonymousEnabled = true });
        var guest = await OkJsonAsync(await PostAsync($"/v1/apps/{app}/anonymous", new { }));
        var email = NewEmail("weakguest");

        var response = await PostAsync($"/v1/apps/{app}/me/upgrade", new { email, password = "password1" }, Access(guest));

        AssertErrorFor(await AssertProblemAsync(response, HttpStatusCode.BadRequest, "invalid_request"), "password");
        var me = await MeAsync(app, Access(guest));
        Assert.True(Bool(me, "anonymous"));
        Assert.Null(me["email"]);
        await AssertNoUserAsync(app, email);
    }
}

[Collection(SqliteCollection.Name)]
public sealed class AnonymousTests_Sqlite(SqliteServer server) : AnonymousTests(server);

[Collection(PostgresCollection.Name)]
public sealed class AnonymousTests_Postgres(PostgresServer server) : AnonymousTests(server);
