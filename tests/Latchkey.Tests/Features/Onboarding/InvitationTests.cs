using System.Net;
using System.Text.Json.Nodes;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.Onboarding;

/// <summary>A6 invitations and A7 their metadata: the invitee's way in, also where nobody may sign up.</summary>
public abstract class InvitationTests(ServerFixture fixture) : OnboardingTest(fixture)
{
    [Fact]
    public async Task An_invitee_joins_an_invite_only_app_with_the_emailed_code_and_keeps_the_invitation_metadata()
    {
        var app = await CreateAppAsync(new { accessMode = "inviteOnly", signupFlow = "code" });
        var email = NewEmail("invitee");

        var created = await PostAsync($"/v1/apps/{app}/invitations",
            new { handle = email, metadata = new { coupon = "WELCOME10", team = new { name = "Blue" } } }, await AdminTokenAsync());

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var invitation = await OkJsonAsync(created);
        Assert.False(string.IsNullOrEmpty(Str(invitation, "id")));
        var expiresAt = DateTimeOffset.Parse(Str(invitation, "expiresAt"), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(expiresAt, Factory.Clock.GetUtcNow().AddSeconds(604_800 - 5), Factory.Clock.GetUtcNow().AddSeconds(604_800 + 5));
        var message = await LatestMessageAsync(app, email, "invitation");
        Assert.Equal("email", Str(message, "channel"));
        var code = CodeFrom(message);
        await AssertNoUserAsync(app, email);

        var tokens = await OkJsonAsync(await PostAsync($"/v1/apps/{app}/invitations/accept",
            new { handle = email, code, password = GoodPassword, metadata = new { source = "newsletter" } }));

        Assert.Equal(email, Str(tokens["user"], "email"));
        var me = await MeAsync(app, Access(tokens));
        Assert.True(Bool(me, "emailVerified"));
        // An admin's invitation metadata is what the app granted (appMetadata); the invitee's own is metadata.
        Assert.Equal("WELCOME10", Str(me["appMetadata"], "coupon"));
        Assert.Equal("Blue", Str(me["appMetadata"]!["team"], "name"));
        Assert.Equal("newsletter", Str(me["metadata"], "source"));
        Assert.False(me["metadata"]!.AsObject().ContainsKey("coupon"));
        Assert.Equal(UserId(tokens), UserId(await LoginOkAsync(app, email)));
        await AssertNoMessageAsync(app, email, "welcome");
    }

    [Fact]
    public async Task An_invitation_that_asks_for_it_sends_a_welcome_message_once_accepted()
    {
        var app = await CreateAppAsync(new { accessMode = "inviteOnly", signupFlow = "code" });
        var email = NewEmail("welcomed");
        await InviteAsync(app, email, await AdminTokenAsync(), sendWelcome: true);
        var code = CodeFrom(await LatestMessageAsync(app, email, "invitation"));
        await AssertNoMessageAsync(app, email, "welcome");

        await OkJsonAsync(await AcceptAsync(app, email, code));

        var welcome = await LatestMessageAsync(app, email, "welcome");
        Assert.Equal("email", Str(welcome, "channel"));
    }

    [Fact]
    public async Task Invitations_are_the_way_in_while_sign_up_is_off()
    {
        var app = await CreateAppAsync(new { accessMode = "registered", signupFlow = "code", signupEnabled = false });
        var email = NewEmail("beta");
        await AssertProblemAsync(await PostAsync($"/v1/apps/{app}/signup", new { email, password = GoodPassword }), HttpStatusCode.Forbidden, "signup_disabled");
        await InviteAsync(app, email, await AdminTokenAsync());

        var tokens = await OkJsonAsync(await AcceptAsync(app, email, CodeFrom(await LatestMessageAsync(app, email, "invitation"))));

        Assert.Equal(email, Str(tokens["user"], "email"));
        Assert.True(Bool(await MeAsync(app, Access(tokens)), "emailVerified"));
    }

    [Fact]
    public async Task An_invitation_to_a_phone_goes_by_SMS_and_the_invitee_signs_in_with_the_phone()
    {
        var app = await CreateAppAsync(new { accessMode = "inviteOnly", signupFlow = "code", methods = new[] { "password", "smsCode" } });
        await InviteAsync(app, PhoneAsTyped, await AdminTokenAsync());

        var sms = await LatestMessageAsync(app, PhoneE164, "invitation");

        Assert.Equal("sms", Str(sms, "channel"));
        Assert.Equal(PhoneE164, Str(sms, "to"));
        var tokens = await OkJsonAsync(await AcceptAsync(app, PhoneE164, CodeFrom(sms)));
        Assert.Equal(PhoneE164, Str(tokens["user"], "phone"));
        Assert.Equal(UserId(tokens), UserId(await LoginOkAsync(app, PhoneE164)));
    }

    [Fact]
    public async Task An_invitee_can_pick_a_user_name_when_accepting()
    {
        var app = await CreateAppAsync(new { accessMode = "inviteOnly", signupFlow = "code", usernamesEnabled = true });
        var email = NewEmail("namedinvitee");
        await InviteAsync(app, email, await AdminTokenAsync());
        var code = CodeFrom(await LatestMessageAsync(app, email, "invitation"));

        var tokens = await OkJsonAsync(await PostAsync($"/v1/apps/{app}/invitations/accept",
            new { handle = email, code, password = GoodPassword, username = "New.Hire" }));

        Assert.Equal("New.Hire", Str(tokens["user"], "username"));
        Assert.Equal(UserId(tokens), UserId(await LoginOkAsync(app, "new.hire")));
    }

    [Fact]
    public async Task A_wrong_code_is_refused_and_too_many_lock_the_invitation()
    {
        var app = await CreateAppAsync(new { accessMode = "inviteOnly", signupFlow = "code", codeMaxAttempts = 3 });
        var email = NewEmail("guesser");
        await InviteAsync(app, email, await AdminTokenAsync());
        var code = CodeFrom(await LatestMessageAsync(app, email, "invitation"));
        var wrong = code == "111111" ? "111112" : "111111";

        await AssertProblemAsync(await AcceptAsync(app, email, wrong), HttpStatusCode.BadRequest, "code_invalid");
        await AssertProblemAsync(await AcceptAsync(app, email, wrong), HttpStatusCode.BadRequest, "code_invalid");
        await AssertProblemOneOfAsync(await AcceptAsync(app, email, wrong),
            (HttpStatusCode.BadRequest, "code_invalid"), (HttpStatusCode.TooManyRequests, "too_many_attempts"));

        var right = await AcceptAsync(app, email, code);

        await AssertProblemAsync(right, HttpStatusCode.TooManyRequests, "too_many_attempts");
        AssertRetryAfter(right);
        await AssertNoUserAsync(app, email);
    }

    [Fact]
    public async Task An_invitation_cannot_be_accepted_after_it_expired()
    {
        var app = await CreateAppAsync(new { accessMode = "inviteOnly", signupFlow = "code" });
        var email = NewEmail("late");
        var invitation = await InviteAsync(app, email, await AdminTokenAsync(), expiresInSeconds: 3600);
        var expiresAt = DateTimeOffset.Parse(Str(invitation, "expiresAt"), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(expiresAt, Factory.Clock.GetUtcNow().AddSeconds(3595), Factory.Clock.GetUtcNow().AddSeconds(3605));
        var code = CodeFrom(await LatestMessageAsync(app, email, "invitation"));

        Factory.Clock.Advance(TimeSpan.FromSeconds(3601));

        await AssertProblemAsync(await AcceptAsync(app, email, code), HttpStatusCode.BadRequest, "code_expired");
        await AssertNoUserAsync(app, email);
    }

    [Fact]
    public async Task The_app_setting_sets_how_long_an_invitation_lives()
    {
        var app = await CreateAppAsync(new { accessMode = "inviteOnly", signupFlow = "code", invitationLifetimeSeconds = 86_400 });
        var email = NewEmail("aday");

        var invitation = await InviteAsync(app, email, await AdminTokenAsync());

        var expiresAt = DateTimeOffset.Parse(Str(invitation, "expiresAt"), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(expiresAt, Factory.Clock.GetUtcNow().AddSeconds(86_395), Factory.Clock.GetUtcNow().AddSeconds(86_405));
        var code = CodeFrom(await LatestMessageAsync(app, email, "invitation"));
        Factory.Clock.Advance(TimeSpan.FromSeconds(86_401));
        await AssertProblemAsync(await AcceptAsync(app, email, code), HttpStatusCode.BadRequest, "code_expired");
    }

    [Fact]
    public async Task An_invitation_is_accepted_once_only()
    {
        var app = await CreateAppAsync(new { accessMode = "inviteOnly", signupFlow = "code" });
        var email = NewEmail("twice");
        await InviteAsync(app, email, await AdminTokenAsync());
        var code = CodeFrom(await LatestMessageAsync(app, email, "invitation"));
        await OkJsonAsync(await AcceptAsync(app, email, code));

        await AssertProblemAsync(await AcceptAsync(app, email, code, OtherPassword), HttpStatusCode.BadRequest, "code_invalid");

        await AssertProblemAsync(await LoginAsync(app, email, OtherPassword), HttpStatusCode.Unauthorized, "invalid_credentials");
    }

    [Fact]
    public async Task A_code_only_opens_the_invitation_of_its_own_handle()
    {
        var app = await CreateAppAsync(new { accessMode = "inviteOnly", signupFlow = "code" });
        var invited = NewEmail("invited");
        var intruder = NewEmail("intruder");
        await InviteAsync(app, invited, await AdminTokenAsync());
        var code = CodeFrom(await LatestMessageAsync(app, invited, "invitation"));

        await AssertProblemAsync(await AcceptAsync(app, intruder, code), HttpStatusCode.BadRequest, "code_invalid");

        await AssertNoUserAsync(app, intruder);
        await OkJsonAsync(await AcceptAsync(app, invited, code));
    }

    [Fact]
    public async Task Inviting_someone_who_is_already_a_user_is_refused()
    {
        var app = await CreateAppAsync(new { accessMode = "open", signupFlow = "none" });
        var email = NewEmail("member");
        await SignUpAsync(app, email);

        var response = await PostAsync($"/v1/apps/{app}/invitations", new { handle = email.ToUpperInvariant() }, await AdminTokenAsync());

        await AssertProblemAsync(response, HttpStatusCode.Conflict, "email_taken");
        await AssertNoMessageAsync(app, email, "invitation");
    }

    [Fact]
    public async Task An_invitation_of_one_app_does_not_open_another()
    {
        var app = await CreateAppAsync(new { accessMode = "inviteOnly", signupFlow = "code" });
        var other = await CreateAppAsync(new { accessMode = "inviteOnly", signupFlow = "code" });
        var email = NewEmail("roamer");
        await InviteAsync(app, email, await AdminTokenAsync());
        var code = CodeFrom(await LatestMessageAsync(app, email, "invitation"));

        await AssertProblemAsync(await AcceptAsync(other, email, code), HttpStatusCode.BadRequest, "code_invalid");

        await AssertNoUserAsync(other, email);
        await OkJsonAsync(await AcceptAsync(app, email, code));
    }

    [Fact]
    public async Task A_weak_password_stops_the_acceptance_and_the_code_still_works()
    {
        var app = await CreateAppAsync(new { accessMode = "inviteOnly", signupFlow = "code" });
        var email = NewEmail("weakinvitee");
        await InviteAsync(app, email, await AdminTokenAsync());
        var code = CodeFrom(await LatestMessageAsync(app, email, "invitation"));

        AssertErrorFor(await AssertProblemAsync(await AcceptAsync(app, email, code, "password1"), HttpStatusCode.BadRequest, "invalid_request"), "password");

        await AssertNoUserAsync(app, email);
        await OkJsonAsync(await AcceptAsync(app, email, code));
    }

    private async Task<JsonObject> InviteAsync(string app, string handle, string bearer, bool? sendWelcome = null, int? expiresInSeconds = null)
    {
        var body = new JsonObject { ["handle"] = handle };
        if (sendWelcome is { } welcome)
        {
            body["sendWelcome"] = welcome;
        }
        if (expiresInSeconds is { } seconds)
        {
            body["expiresInSeconds"] = seconds;
        }
        return await CreatedJsonAsync(await PostAsync($"/v1/apps/{app}/invitations", body, bearer));
    }

    private Task<HttpResponseMessage> AcceptAsync(string app, string handle, string code, string password = GoodPassword) =>
        PostAsync($"/v1/apps/{app}/invitations/accept", new { handle, code, password });
}

[Collection(SqliteCollection.Name)]
public sealed class InvitationTests_Sqlite(SqliteServer server) : InvitationTests(server);

[Collection(PostgresCollection.Name)]
public sealed class InvitationTests_Postgres(PostgresServer server) : InvitationTests(server);
