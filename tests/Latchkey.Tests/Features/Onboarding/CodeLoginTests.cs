using System.Net;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.Onboarding;

/// <summary>B2 email and B3 SMS one-time codes: passwordless sign-in, sign-up by code, and the code rules.</summary>
public abstract class CodeLoginTests(ServerFixture fixture) : OnboardingTest(fixture)
{
    private static readonly string[] EmailCodes = ["password", "emailCode"];

    [Fact]
    public async Task A_known_user_signs_in_with_an_emailed_code()
    {
        var app = await CreateAppAsync(new { accessMode = "open", signupFlow = "none", methods = EmailCodes });
        var email = NewEmail("coder");
        var signedUp = await SignUpAsync(app, email);

        var response = await PostAsync($"/v1/apps/{app}/login/code", new { email });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var challenge = await OkJsonAsync(response);
        Assert.Equal(60, challenge["expiresIn"]!.GetValue<int>());
        var message = await LatestMessageAsync(app, email, "loginCode");
        Assert.Equal("email", Str(message, "channel"));
        var tokens = await OkJsonAsync(await VerifyAsync(app, Str(challenge, "challengeId"), CodeFrom(message)));
        Assert.Equal(UserId(signedUp), UserId(tokens));
    }

    [Fact]
    public async Task Known_and_unknown_emails_get_answers_of_the_same_shape()
    {
        var app = await CreateAppAsync(new { accessMode = "inviteOnly", signupFlow = "code", methods = EmailCodes });
        var known = NewEmail("known");
        await CreateUserAsync(app, new { email = known, password = GoodPassword, emailVerified = true });
        var unknown = NewEmail("unknown");

        var forKnown = await PostAsync($"/v1/apps/{app}/login/code", new { email = known });
        var forUnknown = await PostAsync($"/v1/apps/{app}/login/code", new { email = unknown });

        Assert.Equal(HttpStatusCode.Accepted, forKnown.StatusCode);
        Assert.Equal(forKnown.StatusCode, forUnknown.StatusCode);
        var a = await OkJsonAsync(forKnown);
        var b = await OkJsonAsync(forUnknown);
        Assert.Equal(a.Select(p => p.Key).Order(), b.Select(p => p.Key).Order());
        Assert.Equal(a["expiresIn"]!.GetValue<int>(), b["expiresIn"]!.GetValue<int>());
        Assert.NotEqual(Str(a, "challengeId"), Str(b, "challengeId"));
        await LatestMessageAsync(app, known, "loginCode");
        await AssertNoMessageAsync(app, unknown);
    }

    [Theory]
    [InlineData("open", "none")]
    [InlineData("registered", "code")]
    public async Task An_unknown_email_signs_up_by_code_where_self_sign_up_is_allowed(string mode, string flow)
    {
        var app = await CreateAppAsync(new { accessMode = mode, signupFlow = flow, methods = EmailCodes });
        var email = NewEmail("newbycode");

        var challenge = await OkJsonAsync(await PostAsync($"/v1/apps/{app}/login/code", new { email }));
        var code = CodeFrom(await LatestMessageAsync(app, email, "loginCode"));
        await AssertNoUserAsync(app, email);

        var tokens = await OkJsonAsync(await VerifyAsync(app, Str(challenge, "challengeId"), code));

        Assert.Equal(email, Str(tokens["user"], "email"));
        Assert.True(Bool(await MeAsync(app, Access(tokens)), "emailVerified"));
        Assert.Single(await FindUsersAsync(app, email));
    }

    public static TheoryData<string, bool> ClosedApps => new()
    {
        { "inviteOnly", true },
        { "open", false },
        { "registered", false },
    };

    [Theory]
    [MemberData(nameof(ClosedApps))]
    public async Task An_unknown_email_gets_no_code_where_nobody_may_sign_up(string mode, bool signupEnabled)
    {
        var app = await CreateAppAsync(new { accessMode = mode, signupFlow = "code", signupEnabled, methods = EmailCodes });
        var email = NewEmail("shutout");

        var response = await PostAsync($"/v1/apps/{app}/login/code", new { email });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var challenge = await OkJsonAsync(response);
        await AssertNoMessageAsync(app, email);
        await AssertProblemAsync(await VerifyAsync(app, Str(challenge, "challengeId"), "123456"), HttpStatusCode.BadRequest, "code_invalid");
        await AssertNoUserAsync(app, email);
    }

    [Fact]
    public async Task Code_sign_in_works_only_for_the_methods_the_app_enabled()
    {
        var passwordOnly = await CreateAppAsync(new { accessMode = "open", signupFlow = "none", methods = new[] { "password" } });
        var emailOnly = await CreateAppAsync(new { accessMode = "open", signupFlow = "none", methods = EmailCodes });
        var email = NewEmail("nocodes");

        await AssertProblemAsync(await PostAsync($"/v1/apps/{passwordOnly}/login/code", new { email }), HttpStatusCode.BadRequest, "invalid_request");
        await AssertProblemAsync(await PostAsync($"/v1/apps/{passwordOnly}/login/code", new { phone = PhoneAsTyped }), HttpStatusCode.BadRequest, "invalid_request");
        await AssertProblemAsync(await PostAsync($"/v1/apps/{emailOnly}/login/code", new { phone = PhoneAsTyped }), HttpStatusCode.BadRequest, "invalid_request");

        await AssertNoMessageAsync(passwordOnly, email);
        await AssertNoMessageAsync(passwordOnly, PhoneE164);
        await AssertNoMessageAsync(emailOnly, PhoneE164);
    }

    [Fact]
    public async Task A_second_code_within_the_resend_pause_is_rate_limited()
    {
        var app = await CreateAppAsync(new { accessMode = "open", signupFlow = "none", methods = EmailCodes });
        var email = NewEmail("impatient");
        await SignUpAsync(app, email);
        await OkJsonAsync(await PostAsync($"/v1/apps/{app}/login/code", new { email }));
        var first = await LatestMessageAsync(app, email, "loginCode");

        var again = await PostAsync($"/v1/apps/{app}/login/code", new { email });

        await AssertProblemAsync(again, HttpStatusCode.TooManyRequests, "rate_limited");
        AssertRetryAfter(again);
        Assert.Single(await OutboxAsync(app, email), m => Str(m, "kind") == "loginCode");

        Factory.Clock.Advance(TimeSpan.FromSeconds(31));
        var later = await OkJsonAsync(await PostAsync($"/v1/apps/{app}/login/code", new { email }));
        var second = await LatestMessageAsync(app, email, "loginCode");
        Assert.NotEqual(Str(first, "id"), Str(second, "id"));
        await OkJsonAsync(await VerifyAsync(app, Str(later, "challengeId"), CodeFrom(second)));
    }

    [Fact]
    public async Task A_login_code_works_once()
    {
        var app = await CreateAppAsync(new { accessMode = "open", signupFlow = "none", methods = EmailCodes });
        var email = NewEmail("once");
        await SignUpAsync(app, email);
        var (challengeId, code) = await RequestCodeAsync(app, email);
        await OkJsonAsync(await VerifyAsync(app, challengeId, code));

        await AssertProblemAsync(await VerifyAsync(app, challengeId, code), HttpStatusCode.BadRequest, "code_invalid");
    }

    [Fact]
    public async Task A_login_code_expires_after_the_code_timeout()
    {
        var app = await CreateAppAsync(new { accessMode = "open", signupFlow = "none", methods = EmailCodes });
        var email = NewEmail("slow");
        await SignUpAsync(app, email);
        var (challengeId, code) = await RequestCodeAsync(app, email);

        Factory.Clock.Advance(TimeSpan.FromSeconds(61));

        await AssertProblemAsync(await VerifyAsync(app, challengeId, code), HttpStatusCode.BadRequest, "code_expired");
    }

    [Fact]
    public async Task Too_many_wrong_login_codes_lock_the_challenge()
    {
        var app = await CreateAppAsync(new { accessMode = "open", signupFlow = "none", methods = EmailCodes });
        var email = NewEmail("guesser");
        await SignUpAsync(app, email);
        var (challengeId, code) = await RequestCodeAsync(app, email);
        var wrong = code == "424242" ? "424243" : "424242";

        for (var attempt = 1; attempt < 5; attempt++)
        {
            var problem = await AssertProblemAsync(await VerifyAsync(app, challengeId, wrong), HttpStatusCode.BadRequest, "code_invalid");
            Assert.Equal(5 - attempt, problem["attemptsLeft"]!.GetValue<int>());
        }
        await AssertProblemOneOfAsync(await VerifyAsync(app, challengeId, wrong),
            (HttpStatusCode.BadRequest, "code_invalid"), (HttpStatusCode.TooManyRequests, "too_many_attempts"));

        var right = await VerifyAsync(app, challengeId, code);

        await AssertProblemAsync(right, HttpStatusCode.TooManyRequests, "too_many_attempts");
        AssertRetryAfter(right);
    }

    [Fact]
    public async Task A_person_signs_in_by_SMS_with_the_phone_typed_either_way()
    {
        var app = await CreateAppAsync(new { accessMode = "open", signupFlow = "none", methods = new[] { "password", "smsCode" } });

        var first = await OkJsonAsync(await PostAsync($"/v1/apps/{app}/login/code", new { phone = PhoneAsTyped }));
        var sms = await LatestMessageAsync(app, PhoneE164, "loginCode");
        Assert.Equal("sms", Str(sms, "channel"));
        Assert.Equal(PhoneE164, Str(sms, "to"));
        var tokens = await OkJsonAsync(await VerifyAsync(app, Str(first, "challengeId"), CodeFrom(sms)));
        Assert.Equal(PhoneE164, Str(tokens["user"], "phone"));

        Factory.Clock.Advance(TimeSpan.FromSeconds(31));
        var second = await OkJsonAsync(await PostAsync($"/v1/apps/{app}/login/code", new { phone = PhoneE164 }));
        var again = await OkJsonAsync(await VerifyAsync(app, Str(second, "challengeId"), CodeFrom(await LatestMessageAsync(app, PhoneE164, "loginCode"))));

        Assert.Equal(UserId(tokens), UserId(again));
    }

    [Theory]
    [InlineData("12")]
    [InlineData("+1 555")]
    [InlineData("not a phone")]
    [InlineData("+44 20 7946 0958 0958 0958")]
    public async Task Invalid_phone_numbers_are_refused(string phone)
    {
        var app = await CreateAppAsync(new { accessMode = "open", signupFlow = "none", methods = new[] { "password", "smsCode" } });

        var response = await PostAsync($"/v1/apps/{app}/login/code", new { phone });

        AssertErrorFor(await AssertProblemAsync(response, HttpStatusCode.BadRequest, "invalid_request"), "phone");
    }

    [Fact]
    public async Task A_code_for_one_app_does_not_sign_in_to_another()
    {
        var app = await CreateAppAsync(new { accessMode = "open", signupFlow = "none", methods = EmailCodes });
        var other = await CreateAppAsync(new { accessMode = "open", signupFlow = "none", methods = EmailCodes });
        var email = NewEmail("traveller");
        var (challengeId, code) = await RequestCodeAsync(app, email);

        await AssertProblemOneOfAsync(await VerifyAsync(other, challengeId, code),
            (HttpStatusCode.BadRequest, "code_invalid"), (HttpStatusCode.NotFound, "not_found"));

        await AssertNoUserAsync(other, email);
        await OkJsonAsync(await VerifyAsync(app, challengeId, code));
    }

    private async Task<(string ChallengeId, string Code)> RequestCodeAsync(string app, string email)
    {
        var response = await PostAsync($"/v1/apps/{app}/login/code", new { email });
        var challenge = await OkJsonAsync(response);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (Str(challenge, "challengeId"), CodeFrom(await LatestMessageAsync(app, email, "loginCode")));
    }

    private Task<HttpResponseMessage> VerifyAsync(string app, string challengeId, string code) =>
        PostAsync($"/v1/apps/{app}/login/code/verify", new { challengeId, code });
}

[Collection(SqliteCollection.Name)]
public sealed class CodeLoginTests_Sqlite(SqliteServer server) : CodeLoginTests(server);

[Collection(PostgresCollection.Name)]
public sealed class CodeLoginTests_Postgres(PostgresServer server) : CodeLoginTests(server);
