using System.Net;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.Mfa;

/// <summary>S3: the second step of a sign-in (POST /login/mfa): recovery codes, SMS codes, and the limits of an mfaToken.</summary>
public abstract class MfaSignInTests(ServerFixture fixture) : MfaTest(fixture)
{
    [Fact]
    public async Task A_recovery_code_finishes_a_sign_in_once()
    {
        var user = await EnrolledUserAsync();
        var code = user.RecoveryCodes[3];

        // Typed in capitals and without its dash, as people do.
        var tokens = await OkJsonAsync(await FinishAsync(user.App, MfaToken(await MfaRequiredAsync(user.App, user.Email)), "recovery",
            code.Replace("-", "", StringComparison.Ordinal).ToUpperInvariant()));

        Assert.Equal(UserId(user.Tokens), UserId(tokens));
        Assert.Equal(9, (await MfaOverviewAsync(user.App, Access(tokens)))["recoveryCodesLeft"]!.GetValue<int>());
        var again = await FinishAsync(user.App, MfaToken(await MfaRequiredAsync(user.App, user.Email)), "recovery", code);
        await AssertProblemAsync(again, HttpStatusCode.BadRequest, "code_invalid");
        Assert.Contains("method=recovery", Assert.Single(await MfaFailuresAsync(user.App)).Detail);
    }

    [Fact]
    public async Task An_sms_second_factor_works_end_to_end_through_the_outbox()
    {
        var app = await CreateAppAsync();
        var email = NewEmail("sms");
        var access = Access(await SignUpAsync(app, email));

        var started = await PostAsync($"/v1/apps/{app}/me/mfa/sms", new { phone = PhoneAsTyped }, access);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var setupMessage = await LatestMessageAsync(app, PhoneE164, "loginCode");
        Assert.Equal("sms", Str(setupMessage, "channel"));
        await AssertProblemAsync(await PostAsync($"/v1/apps/{app}/me/mfa/sms/confirm", new { code = "000000" }, access),
            HttpStatusCode.BadRequest, "code_invalid");
        var confirmed = await OkJsonAsync(await PostAsync($"/v1/apps/{app}/me/mfa/sms/confirm", new { code = CodeFrom(setupMessage) }, access));
        Assert.Equal(10, confirmed["recoveryCodes"]!.AsArray().Count);
        var factor = Assert.Single((await MfaOverviewAsync(app, access))["factors"]!.AsArray());
        Assert.Equal("sms", Str(factor, "kind"));
        Assert.Equal("0958", Str(factor, "phoneEnding"));

        Factory.Clock.Advance(TimeSpan.FromSeconds(31));
        var required = await MfaRequiredAsync(app, email);
        Assert.Equal(["sms", "recovery"], Methods(required));
        // No code was asked for this sign-in yet: the setup code does not count.
        await AssertProblemAsync(await FinishAsync(app, MfaToken(required), "sms", CodeFrom(setupMessage)), HttpStatusCode.BadRequest, "code_invalid");

        var sent = await PostAsync($"/v1/apps/{app}/login/mfa/sms", new { mfaToken = MfaToken(required) });

        Assert.Equal(HttpStatusCode.Accepted, sent.StatusCode);
        var signInMessage = await LatestMessageAsync(app, PhoneE164, "loginCode");
        Assert.Equal(2, (await OutboxAsync(app, PhoneE164)).Count);
        // A second code at once is throttled like every code.
        await AssertProblemAsync(await PostAsync($"/v1/apps/{app}/login/mfa/sms", new { mfaToken = MfaToken(required) }),
            HttpStatusCode.TooManyRequests, "rate_limited");
        var tokens = await OkJsonAsync(await FinishAsync(app, MfaToken(required), "sms", CodeFrom(signInMessage)));
        Assert.Equal(email, Str(tokens["user"], "email"));
    }

    [Fact]
    public async Task Removing_the_phone_needs_a_code_texted_to_it()
    {
        var app = await CreateAppAsync();
        var email = NewEmail("smsremove");
        var access = Access(await SignUpAsync(app, email));
        await PostAsync($"/v1/apps/{app}/me/mfa/sms", new { phone = PhoneE164 }, access);
        var setupCode = CodeFrom(await LatestMessageAsync(app, PhoneE164, "loginCode"));
        await OkJsonAsync(await PostAsync($"/v1/apps/{app}/me/mfa/sms/confirm", new { code = setupCode }, access));
        Factory.Clock.Advance(TimeSpan.FromSeconds(31));

        // The setup code does not confirm changes: a fresh one is texted for that.
        await AssertProblemAsync(await SendAsync(HttpMethod.Delete, $"/v1/apps/{app}/me/mfa/sms",
            JsonContent.Create(new { method = "sms", code = setupCode }), access), HttpStatusCode.BadRequest, "code_invalid");
        Assert.Equal(HttpStatusCode.Accepted, (await PostAsync($"/v1/apps/{app}/me/mfa/sms/code", new { }, access)).StatusCode);
        var code = CodeFrom(await LatestMessageAsync(app, PhoneE164, "loginCode"));
        var removed = await SendAsync(HttpMethod.Delete, $"/v1/apps/{app}/me/mfa/sms", JsonContent.Create(new { method = "sms", code }), access);

        Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        Assert.Equal(0, (await MfaOverviewAsync(app, access))["recoveryCodesLeft"]!.GetValue<int>());
        await OkJsonAsync(await LoginAsync(app, email));
    }

    [Fact]
    public async Task Wrong_codes_end_the_sign_in_with_too_many_attempts()
    {
        var user = await EnrolledUserAsync();
        var pending = MfaToken(await MfaRequiredAsync(user.App, user.Email));
        var right = await TotpAsync(user.Secret);
        var wrong = right == "000000" ? "111111" : "000000";

        for (var left = 4; left >= 1; left--)
        {
            var problem = await AssertProblemAsync(await FinishAsync(user.App, pending, "totp", wrong), HttpStatusCode.BadRequest, "code_invalid");
            Assert.Equal(left, problem["attemptsLeft"]!.GetValue<int>());
        }
        var last = await FinishAsync(user.App, pending, "totp", wrong);

        await AssertProblemAsync(last, HttpStatusCode.TooManyRequests, "too_many_attempts");
        AssertRetryAfter(last);
        await AssertProblemAsync(await FinishAsync(user.App, pending, "totp", right), HttpStatusCode.TooManyRequests, "too_many_attempts");
        Assert.Equal(5, (await MfaFailuresAsync(user.App)).Count);
    }

    [Fact]
    public async Task An_mfa_token_expires_after_five_minutes()
    {
        var user = await EnrolledUserAsync();
        var pending = MfaToken(await MfaRequiredAsync(user.App, user.Email));

        Factory.Clock.Advance(TimeSpan.FromSeconds(301));

        await AssertProblemAsync(await FinishAsync(user.App, pending, "totp", await TotpAsync(user.Secret)), HttpStatusCode.BadRequest, "code_expired");
    }

    [Fact]
    public async Task An_mfa_token_of_another_app_is_refused()
    {
        var user = await EnrolledUserAsync();
        var other = await CreateAppAsync();
        var pending = MfaToken(await MfaRequiredAsync(user.App, user.Email));
        var code = await TotpAsync(user.Secret);

        await AssertProblemAsync(await FinishAsync(other, pending, "totp", code), HttpStatusCode.BadRequest, "code_invalid");
        await AssertProblemAsync(await PostAsync($"/v1/apps/{other}/login/mfa/sms", new { mfaToken = pending }), HttpStatusCode.BadRequest, "code_invalid");

        await OkJsonAsync(await FinishAsync(user.App, pending, "totp", code));
    }

    [Fact]
    public async Task Made_up_tokens_and_methods_are_refused_clearly()
    {
        var user = await EnrolledUserAsync();
        var pending = MfaToken(await MfaRequiredAsync(user.App, user.Email));

        await AssertProblemAsync(await FinishAsync(user.App, "not-a-token", "totp", "123456"), HttpStatusCode.BadRequest, "code_invalid");
        await AssertProblemAsync(await FinishAsync(user.App, pending[..^2] + "AA", "totp", "123456"), HttpStatusCode.BadRequest, "code_invalid");
        var sms = await AssertProblemAsync(await FinishAsync(user.App, pending, "sms", "123456"), HttpStatusCode.BadRequest, "invalid_request");
        AssertErrorFor(sms, "method");
        await AssertProblemAsync(await PostRawAsync($"/v1/apps/{user.App}/login/mfa", "{\"method\":\"totp\"}"), HttpStatusCode.BadRequest, "invalid_request");
        Assert.Empty(await MfaFailuresAsync(user.App));
        await OkJsonAsync(await FinishAsync(user.App, pending, "totp", await TotpAsync(user.Secret)));
    }

    [Fact]
    public async Task A_code_sign_in_asks_for_the_second_factor_too()
    {
        var user = await EnrolledUserAsync(new { methods = new[] { "password", "emailCode" } });
        var challenge = await OkJsonAsync(await PostAsync($"/v1/apps/{user.App}/login/code", new { email = user.Email }));
        var code = CodeFrom(await LatestMessageAsync(user.App, user.Email, "loginCode"));

        var verified = await PostAsync($"/v1/apps/{user.App}/login/code/verify", new { challengeId = Str(challenge, "challengeId"), code });

        var required = await AssertProblemAsync(verified, HttpStatusCode.Unauthorized, "mfa_required");
        Assert.Equal(["totp", "recovery"], Methods(required));
        var tokens = await OkJsonAsync(await FinishAsync(user.App, MfaToken(required), "totp", await TotpAsync(user.Secret)));
        Assert.Equal(UserId(user.Tokens), UserId(tokens));
    }

    [Fact]
    public async Task Proving_the_email_later_does_not_skip_the_second_factor()
    {
        var app = await CreateAppAsync(new { accessMode = "open", signupFlow = "code" });
        var email = NewEmail("verifylater");
        var signedUp = await SignUpAsync(app, email);
        var verificationId = Str(signedUp["verification"], "verificationId");
        var code = CodeFrom(await LatestMessageAsync(app, email, "verifyCode"));
        var (secret, _) = await EnrolTotpAsync(app, Access(signedUp));
        NextStep();

        var verified = await VerifySignupAsync(app, verificationId, code);

        var required = await AssertProblemAsync(verified, HttpStatusCode.Unauthorized, "mfa_required");
        var tokens = await OkJsonAsync(await FinishAsync(app, MfaToken(required), "totp", await TotpAsync(secret)));
        Assert.True(Bool(await MeAsync(app, Access(tokens)), "emailVerified"));
    }
}

[Collection(SqliteCollection.Name)]
public sealed class MfaSignInTests_Sqlite(SqliteServer server) : MfaSignInTests(server);

[Collection(PostgresCollection.Name)]
public sealed class MfaSignInTests_Postgres(PostgresServer server) : MfaSignInTests(server);
