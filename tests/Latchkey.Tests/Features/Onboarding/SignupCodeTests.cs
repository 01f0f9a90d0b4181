using System.Net;
using System.Text.Json.Nodes;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.Onboarding;

/// <summary>A3 sign-up verified by a 6-digit code, in registered and open apps; A7 sign-up metadata.</summary>
public abstract class SignupCodeTests(ServerFixture fixture) : OnboardingTest(fixture)
{
    [Fact]
    public async Task A_registered_app_creates_the_user_only_once_the_emailed_code_is_verified()
    {
        var app = await CreateAppAsync(new { accessMode = "registered", signupFlow = "code" });
        var email = NewEmail("reg");

        var response = await PostAsync($"/v1/apps/{app}/signup", new { email, password = GoodPassword, metadata = new { coupon = "SPRING" } });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var pending = await OkJsonAsync(response);
        Assert.Null(pending["access_token"]);
        Assert.Null(pending["refresh_token"]);
        Assert.Equal("code", Str(pending, "flow"));
        Assert.Equal(60, pending["expiresIn"]!.GetValue<int>());
        var verificationId = Str(pending, "verificationId");
        await AssertNoUserAsync(app, email);
        await AssertProblemAsync(await LoginAsync(app, email), HttpStatusCode.Unauthorized, "invalid_credentials");
        var message = await LatestMessageAsync(app, email, "signupCode");
        Assert.Equal("email", Str(message, "channel"));
        Assert.Equal(email, Str(message, "to"));

        var tokens = await OkJsonAsync(await VerifySignupAsync(app, verificationId, CodeFrom(message)));

        Assert.Equal(email, Str(tokens["user"], "email"));
        var me = await MeAsync(app, Access(tokens));
        Assert.True(Bool(me, "emailVerified"));
        Assert.Equal("SPRING", Str(me["metadata"], "coupon"));
        Assert.Single(await FindUsersAsync(app, email));
        Assert.Equal(UserId(tokens), UserId(await LoginOkAsync(app, email)));
    }

    [Fact]
    public async Task An_open_app_with_code_verification_signs_in_at_once_and_verifies_the_email_afterwards()
    {
        var app = await CreateAppAsync(new { accessMode = "open", signupFlow = "code" });
        var email = NewEmail("openverify");

        var response = await PostAsync($"/v1/apps/{app}/signup", new { email, password = GoodPassword });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var tokens = await OkJsonAsync(response);
        var verification = tokens["verification"]!;
        Assert.Equal("code", Str(verification, "flow"));
        Assert.Equal(60, verification["expiresIn"]!.GetValue<int>());
        Assert.False(Bool(await MeAsync(app, Access(tokens)), "emailVerified"));
        var code = CodeFrom(await LatestMessageAsync(app, email, "verifyCode"));

        var verified = await OkJsonAsync(await VerifySignupAsync(app, Str(verification, "verificationId"), code));

        Assert.Equal(UserId(tokens), UserId(verified));
        Assert.True(Bool(await MeAsync(app, Access(tokens)), "emailVerified"));
        Assert.True(Bool(await MeAsync(app, Access(verified)), "emailVerified"));
    }

    [Fact]
    public async Task A_wrong_code_is_refused_and_says_how_many_attempts_are_left()
    {
        var app = await CreateAppAsync(new { accessMode = "registered", signupFlow = "code" });
        var email = NewEmail("wrong");
        var (verificationId, code) = await PendingSignupAsync(app, email);
        var wrong = code == "000000" ? "000001" : "000000";

        var first = await AssertProblemAsync(await VerifySignupAsync(app, verificationId, wrong), HttpStatusCode.BadRequest, "code_invalid");
        var second = await AssertProblemAsync(await VerifySignupAsync(app, verificationId, wrong), HttpStatusCode.BadRequest, "code_invalid");

        Assert.Equal(4, first["attemptsLeft"]!.GetValue<int>());
        Assert.Equal(3, second["attemptsLeft"]!.GetValue<int>());
        await AssertNoUserAsync(app, email);
        var tokens = await OkJsonAsync(await VerifySignupAsync(app, verificationId, code));
        Assert.Equal(email, Str(tokens["user"], "email"));
    }

    [Theory]
    [InlineData(5)]
    [InlineData(3)]
    public async Task After_the_apps_attempt_limit_even_the_right_code_is_refused(int maxAttempts)
    {
        var app = await CreateAppAsync(new { accessMode = "registered", signupFlow = "code", codeMaxAttempts = maxAttempts });
        var email = NewEmail("locked");
        var (verificationId, code) = await PendingSignupAsync(app, email);
        var wrong = code == "999999" ? "999998" : "999999";

        for (var attempt = 1; attempt < maxAttempts; attempt++)
        {
            var problem = await AssertProblemAsync(await VerifySignupAsync(app, verificationId, wrong), HttpStatusCode.BadRequest, "code_invalid");
            Assert.Equal(maxAttempts - attempt, problem["attemptsLeft"]!.GetValue<int>());
        }
        // The last wrong code may already say that the attempts are used up.
        await AssertProblemOneOfAsync(await VerifySignupAsync(app, verificationId, wrong),
            (HttpStatusCode.BadRequest, "code_invalid"), (HttpStatusCode.TooManyRequests, "too_many_attempts"));

        var right = await VerifySignupAsync(app, verificationId, code);

        await AssertProblemAsync(right, HttpStatusCode.TooManyRequests, "too_many_attempts");
        AssertRetryAfter(right);
        await AssertNoUserAsync(app, email);
    }

    [Fact]
    public async Task A_code_expires_after_the_apps_code_timeout()
    {
        var app = await CreateAppAsync(new { accessMode = "registered", signupFlow = "code", codeTimeoutSeconds = 120 });
        var early = NewEmail("early");
        var late = NewEmail("late");
        var first = await PendingSignupAsync(app, early);
        var second = await PendingSignupAsync(app, late);

        Factory.Clock.Advance(TimeSpan.FromSeconds(100));
        await OkJsonAsync(await VerifySignupAsync(app, first.VerificationId, first.Code));
        Factory.Clock.Advance(TimeSpan.FromSeconds(21));

        await AssertProblemAsync(await VerifySignupAsync(app, second.VerificationId, second.Code), HttpStatusCode.BadRequest, "code_expired");
        await AssertNoUserAsync(app, late);
    }

    [Fact]
    public async Task A_verification_code_works_only_once()
    {
        var app = await CreateAppAsync(new { accessMode = "registered", signupFlow = "code" });
        var (verificationId, code) = await PendingSignupAsync(app, NewEmail("once"));
        await OkJsonAsync(await VerifySignupAsync(app, verificationId, code));

        await AssertProblemAsync(await VerifySignupAsync(app, verificationId, code), HttpStatusCode.BadRequest, "code_invalid");
    }

    [Fact]
    public async Task A_verification_from_another_app_is_refused_and_creates_nobody()
    {
        var app = await CreateAppAsync(new { accessMode = "registered", signupFlow = "code" });
        var other = await CreateAppAsync(new { accessMode = "registered", signupFlow = "code" });
        var email = NewEmail("crossapp");
        var (verificationId, code) = await PendingSignupAsync(app, email);

        var response = await VerifySignupAsync(other, verificationId, code);

        await AssertProblemOneOfAsync(response, (HttpStatusCode.BadRequest, "code_invalid"), (HttpStatusCode.NotFound, "not_found"));
        await AssertNoUserAsync(other, email);
        await AssertNoUserAsync(app, email);
        // The code still belongs to its own app.
        await OkJsonAsync(await VerifySignupAsync(app, verificationId, code));
    }

    [Fact]
    public async Task An_unknown_verification_id_is_an_invalid_code()
    {
        var app = await CreateAppAsync(new { accessMode = "registered", signupFlow = "code" });

        await AssertProblemAsync(await VerifySignupAsync(app, Guid.NewGuid().ToString(), "123456"), HttpStatusCode.BadRequest, "code_invalid");
    }

    [Theory]
    [InlineData("open", "none")]
    [InlineData("open", "code")]
    public async Task An_email_already_signed_up_is_taken(string mode, string flow)
    {
        var app = await CreateAppAsync(new { accessMode = mode, signupFlow = flow });
        var email = NewEmail("taken");
        await SignUpAsync(app, email);

        await AssertProblemAsync(await PostAsync($"/v1/apps/{app}/signup", new { email, password = OtherPassword }),
            HttpStatusCode.Conflict, "email_taken");

        Assert.Single(await FindUsersAsync(app, email));
    }

    [Fact]
    public async Task A_password_is_required_unless_the_app_allows_email_codes()
    {
        var passwordOnly = await CreateAppAsync(new { accessMode = "open", signupFlow = "none", methods = new[] { "password" } });
        var email = NewEmail("nopass");

        var refused = await PostAsync($"/v1/apps/{passwordOnly}/signup", new { email });

        AssertErrorFor(await AssertProblemAsync(refused, HttpStatusCode.BadRequest, "invalid_request"), "password");
        await AssertNoUserAsync(passwordOnly, email);

        var codes = await CreateAppAsync(new { accessMode = "open", signupFlow = "none", methods = new[] { "password", "emailCode" } });
        var tokens = await OkJsonAsync(await PostAsync($"/v1/apps/{codes}/signup", new { email }));
        Assert.Equal(email, Str(tokens["user"], "email"));
        // Without a password the only way back in is a code.
        await AssertProblemAsync(await LoginAsync(codes, email, "any password at all"), HttpStatusCode.Unauthorized, "invalid_credentials");
    }

    [Fact]
    public async Task A_registered_app_with_email_codes_signs_up_without_a_password()
    {
        var app = await CreateAppAsync(new { accessMode = "registered", signupFlow = "code", methods = new[] { "emailCode" } });
        var email = NewEmail("passwordless");

        var response = await PostAsync($"/v1/apps/{app}/signup", new { email });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var pending = await OkJsonAsync(response);
        var code = CodeFrom(await LatestMessageAsync(app, email, "signupCode"));
        var tokens = await OkJsonAsync(await VerifySignupAsync(app, Str(pending, "verificationId"), code));
        Assert.True(Bool(await MeAsync(app, Access(tokens)), "emailVerified"));
    }

    [Fact]
    public async Task Phone_sign_up_needs_SMS_codes_enabled()
    {
        var app = await CreateAppAsync(new { accessMode = "registered", signupFlow = "code", methods = new[] { "password" } });

        var response = await PostAsync($"/v1/apps/{app}/signup", new { phone = PhoneAsTyped, password = GoodPassword });

        AssertErrorFor(await AssertProblemAsync(response, HttpStatusCode.BadRequest, "invalid_request"), "phone");
        await AssertNoMessageAsync(app, PhoneE164);
    }

    [Fact]
    public async Task A_registered_app_verifies_a_phone_sign_up_by_SMS()
    {
        var app = await CreateAppAsync(new { accessMode = "registered", signupFlow = "code", methods = new[] { "password", "smsCode" } });

        var response = await PostAsync($"/v1/apps/{app}/signup", new { phone = PhoneAsTyped, password = GoodPassword });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var pending = await OkJsonAsync(response);
        var sms = await LatestMessageAsync(app, PhoneE164, "signupCode");
        Assert.Equal("sms", Str(sms, "channel"));
        Assert.Equal(PhoneE164, Str(sms, "to"));
        var tokens = await OkJsonAsync(await VerifySignupAsync(app, Str(pending, "verificationId"), CodeFrom(sms)));
        Assert.Equal(PhoneE164, Str(tokens["user"], "phone"));
        Assert.Null(tokens["user"]!["email"]);
        Assert.Equal(UserId(tokens), UserId(await LoginOkAsync(app, PhoneE164)));
    }

    [Fact]
    public async Task Oversized_sign_up_metadata_is_refused_before_any_code_is_sent()
    {
        var app = await CreateAppAsync(new { accessMode = "registered", signupFlow = "code" });
        var email = NewEmail("bigmeta");

        var response = await PostAsync($"/v1/apps/{app}/signup",
            new { email, password = GoodPassword, metadata = new JsonObject { ["blob"] = new string('m', 17 * 1024) } });

        AssertErrorFor(await AssertProblemAsync(response, HttpStatusCode.BadRequest, "invalid_request"), "metadata");
        await AssertNoUserAsync(app, email);
        await AssertNoMessageAsync(app, email);
    }

    [Theory]
    [InlineData("signupEnabled", "signup_disabled")]
    [InlineData("inviteOnly", "invitation_required")]
    public async Task A_pending_sign_up_cannot_complete_once_the_app_closed_its_doors(string change, string code)
    {
        var app = await CreateAppAsync(new { accessMode = "registered", signupFlow = "code" });
        var email = NewEmail("late");
        var (verificationId, sentCode) = await PendingSignupAsync(app, email);

        await PatchSettingsAsync(app, change == "signupEnabled" ? new { signupEnabled = false } : new { accessMode = "inviteOnly" });

        await AssertProblemAsync(await VerifySignupAsync(app, verificationId, sentCode), HttpStatusCode.Forbidden, code);
        await AssertNoUserAsync(app, email);
    }
}

[Collection(SqliteCollection.Name)]
public sealed class SignupCodeTests_Sqlite(SqliteServer server) : SignupCodeTests(server);

[Collection(PostgresCollection.Name)]
public sealed class SignupCodeTests_Postgres(PostgresServer server) : SignupCodeTests(server);
