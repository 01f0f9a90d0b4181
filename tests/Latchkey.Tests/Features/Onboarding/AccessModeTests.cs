using System.Net;
using System.Text.Json.Nodes;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.Onboarding;

/// <summary>A1 access modes, A2 the sign-up toggle and how the onboarding settings combine.</summary>
public abstract class AccessModeTests(ServerFixture fixture) : OnboardingTest(fixture)
{
    [Fact]
    public async Task A_client_reads_the_onboarding_settings_from_the_config()
    {
        var app = await CreateAppAsync(new
        {
            accessMode = "registered",
            signupFlow = "link",
            signupEnabled = false,
            usernamesEnabled = true,
            invitationsEnabled = true,
            methods = new[] { "password", "emailCode" },
            codeTimeoutSeconds = 120,
        });

        var config = await OkJsonAsync(await GetAsync($"/v1/apps/{app}/config"));

        Assert.Equal("registered", Str(config, "accessMode"));
        Assert.Equal("link", Str(config, "signupFlow"));
        Assert.False(Bool(config, "signupEnabled"));
        Assert.False(Bool(config, "anonymousEnabled"));
        Assert.True(Bool(config, "usernamesEnabled"));
        Assert.True(Bool(config, "invitationsEnabled"));
        Assert.Equal(["password", "emailCode"], config["methods"]!.AsArray().Select(m => m!.GetValue<string>()));
        Assert.Equal(120, config["codeTimeoutSeconds"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_new_app_without_settings_is_registered_with_code_verification()
    {
        var id = "t-" + Guid.NewGuid().ToString("N")[..10];
        var created = await PostAsync("/v1/admin/apps", new { id, name = "Defaults" }, await AdminTokenAsync());
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        var config = await OkJsonAsync(await GetAsync($"/v1/apps/{id}/config"));

        Assert.Equal("registered", Str(config, "accessMode"));
        Assert.Equal("code", Str(config, "signupFlow"));
        Assert.True(Bool(config, "signupEnabled"));
        Assert.False(Bool(config, "anonymousEnabled"));
        Assert.False(Bool(config, "usernamesEnabled"));
        Assert.False(Bool(config, "invitationsEnabled"));
        Assert.Equal(["password"], config["methods"]!.AsArray().Select(m => m!.GetValue<string>()));
        Assert.Equal(60, config["codeTimeoutSeconds"]!.GetValue<int>());
        // Nobody gets a token before verifying: sign-up waits for the code.
        var signup = await PostAsync($"/v1/apps/{id}/signup", new { email = NewEmail("default"), password = GoodPassword });
        Assert.Equal(HttpStatusCode.Accepted, signup.StatusCode);
    }

    [Fact]
    public async Task Switching_an_open_app_to_registered_while_its_flow_is_none_is_refused()
    {
        var app = await CreateAppAsync(new { accessMode = "open", signupFlow = "none" });
        var admin = await AdminTokenAsync();

        var response = await PatchAsync($"/v1/admin/apps/{app}", new { settings = new { accessMode = "registered" } }, admin);

        var problem = await AssertProblemAsync(response, HttpStatusCode.BadRequest, "invalid_request");
        AssertErrorFor(problem, "settings.signupFlow");
        var config = await OkJsonAsync(await GetAsync($"/v1/apps/{app}/config"));
        Assert.Equal("open", Str(config, "accessMode"));
        // With a verification flow in the same patch it is fine.
        await PatchSettingsAsync(app, new { accessMode = "registered", signupFlow = "code" });
        Assert.Equal("registered", Str(await OkJsonAsync(await GetAsync($"/v1/apps/{app}/config")), "accessMode"));
    }

    [Theory]
    [InlineData("registered")]
    [InlineData("inviteOnly")]
    public async Task Leaving_open_mode_while_guests_are_allowed_is_refused(string mode)
    {
        var app = await CreateAppAsync(new { accessMode = "open", signupFlow = "code", anonymousEnabled = true });

        var response = await PatchAsync($"/v1/admin/apps/{app}", new { settings = new { accessMode = mode } }, await AdminTokenAsync());

        var problem = await AssertProblemAsync(response, HttpStatusCode.BadRequest, "invalid_request");
        AssertErrorFor(problem, "settings.anonymousEnabled");
        var config = await OkJsonAsync(await GetAsync($"/v1/apps/{app}/config"));
        Assert.Equal("open", Str(config, "accessMode"));
        Assert.True(Bool(config, "anonymousEnabled"));
    }

    [Theory]
    [InlineData(29)]
    [InlineData(3601)]
    public async Task A_code_timeout_outside_30_seconds_to_an_hour_is_refused(int seconds)
    {
        var app = await CreateAppAsync();

        var response = await PatchAsync($"/v1/admin/apps/{app}", new { settings = new { codeTimeoutSeconds = seconds } }, await AdminTokenAsync());

        var problem = await AssertProblemAsync(response, HttpStatusCode.BadRequest, "invalid_request");
        AssertErrorFor(problem, "settings.codeTimeoutSeconds");
    }

    [Theory]
    [InlineData(30)]
    [InlineData(3600)]
    public async Task A_code_timeout_at_the_limits_is_accepted(int seconds)
    {
        var app = await CreateAppAsync();

        await PatchSettingsAsync(app, new { codeTimeoutSeconds = seconds });

        Assert.Equal(seconds, (await OkJsonAsync(await GetAsync($"/v1/apps/{app}/config")))["codeTimeoutSeconds"]!.GetValue<int>());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task An_invite_only_app_refuses_self_sign_up_whatever_the_sign_up_toggle(bool signupEnabled)
    {
        var app = await CreateAppAsync(new { accessMode = "inviteOnly", signupFlow = "code", signupEnabled });
        var email = NewEmail("uninvited");

        var response = await PostAsync($"/v1/apps/{app}/signup", new { email, password = GoodPassword });

        await AssertProblemAsync(response, HttpStatusCode.Forbidden, "invitation_required");
        await AssertNoUserAsync(app, email);
        await AssertNoMessageAsync(app, email);
    }

    [Theory]
    [InlineData("open", "none")]
    [InlineData("open", "code")]
    [InlineData("registered", "code")]
    [InlineData("registered", "link")]
    public async Task With_sign_up_turned_off_nobody_signs_themselves_up(string mode, string flow)
    {
        var app = await CreateAppAsync(new { accessMode = mode, signupFlow = flow, signupEnabled = false });
        var email = NewEmail("closedbeta");

        var response = await PostAsync($"/v1/apps/{app}/signup", new { email, password = GoodPassword, metadata = new { wave = 1 } });

        await AssertProblemAsync(response, HttpStatusCode.Forbidden, "signup_disabled");
        await AssertNoUserAsync(app, email);
        await AssertNoMessageAsync(app, email);
    }

    [Fact]
    public async Task Turning_sign_up_back_on_opens_the_door_again()
    {
        var app = await CreateAppAsync(new { accessMode = "open", signupFlow = "none", signupEnabled = false });
        var email = NewEmail("later");
        await AssertProblemAsync(await PostAsync($"/v1/apps/{app}/signup", new { email, password = GoodPassword }),
            HttpStatusCode.Forbidden, "signup_disabled");

        await PatchSettingsAsync(app, new { signupEnabled = true });

        var tokens = await SignUpAsync(app, email);
        Assert.Equal(email, Str(tokens["user"], "email"));
    }

    [Fact]
    public async Task An_open_app_without_verification_hands_out_tokens_at_once_with_the_email_unverified()
    {
        var app = await CreateAppAsync(new { accessMode = "open", signupFlow = "none" });
        var email = NewEmail("open");

        var response = await PostAsync($"/v1/apps/{app}/signup", new { email, password = GoodPassword });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var tokens = await OkJsonAsync(response);
        Assert.False(string.IsNullOrEmpty(Access(tokens)));
        Assert.False(string.IsNullOrEmpty(Refresh(tokens)));
        var user = tokens["user"]!.AsObject();
        foreach (var field in new[] { "id", "handle", "email", "phone", "username", "anonymous", "role", "plan" })
        {
            Assert.True(user.ContainsKey(field), $"The token's user has no {field}: {user.ToJsonString()}");
        }
        Assert.Equal(email, Str(user, "email"));
        Assert.Null(user["phone"]);
        Assert.Null(user["username"]);
        Assert.False(Bool(user, "anonymous"));
        Assert.Null(tokens["verification"]);
        Assert.False(Bool(await MeAsync(app, Access(tokens)), "emailVerified"));
        await AssertNoMessageAsync(app, email);
    }

    [Fact]
    public async Task A_registered_app_asks_a_user_whose_email_was_never_verified_to_verify_before_signing_in()
    {
        // The user signed up while the app was open; then the admin closed it to registered users.
        var app = await CreateAppAsync(new { accessMode = "open", signupFlow = "none" });
        var email = NewEmail("unverified");
        var signedUp = await SignUpAsync(app, email);
        await PatchSettingsAsync(app, new { accessMode = "registered", signupFlow = "code" });

        var refused = await LoginAsync(app, email);

        var problem = await AssertProblemAsync(refused, HttpStatusCode.Forbidden, "verification_required");
        var verificationId = Str(problem, "verificationId");
        Assert.Null(JsonNode.Parse(await refused.Content.ReadAsStringAsync(Ct))!["access_token"]);
        var code = CodeFrom(await LatestMessageAsync(app, email, "verifyCode"));

        var tokens = await OkJsonAsync(await VerifySignupAsync(app, verificationId, code));

        Assert.Equal(UserId(signedUp), UserId(tokens));
        Assert.True(Bool(await MeAsync(app, Access(tokens)), "emailVerified"));
        var later = await LoginOkAsync(app, email);
        Assert.Equal(UserId(signedUp), UserId(later));
    }

    [Fact]
    public async Task A_wrong_password_in_a_registered_app_does_not_reveal_that_verification_is_pending()
    {
        var app = await CreateAppAsync(new { accessMode = "open", signupFlow = "none" });
        var email = NewEmail("guarded");
        await SignUpAsync(app, email);
        await PatchSettingsAsync(app, new { accessMode = "registered", signupFlow = "code" });

        await AssertProblemAsync(await LoginAsync(app, email, "not the password"), HttpStatusCode.Unauthorized, "invalid_credentials");

        await AssertNoMessageAsync(app, email, "verifyCode");
    }
}

[Collection(SqliteCollection.Name)]
public sealed class AccessModeTests_Sqlite(SqliteServer server) : AccessModeTests(server);

[Collection(PostgresCollection.Name)]
public sealed class AccessModeTests_Postgres(PostgresServer server) : AccessModeTests(server);
