using System.Net;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.Onboarding;

/// <summary>B6 password recovery by emailed code or link; a reset ends every session.</summary>
public abstract class PasswordRecoveryTests(ServerFixture fixture) : OnboardingTest(fixture)
{
    private const string NewPassword = "a brand new passphrase for ann";

    [Fact]
    public async Task A_forgotten_password_is_reset_with_an_emailed_code_and_every_session_ends()
    {
        var app = await CreateAppAsync(new { accessMode = "open", signupFlow = "none", passwordRecovery = "code" });
        var email = NewEmail("forgetful");
        var phone = await SignUpAsync(app, email);
        var tablet = await LoginOkAsync(app, email);

        var forgot = await PostAsync($"/v1/apps/{app}/password/forgot", new { email });

        Assert.Equal(HttpStatusCode.Accepted, forgot.StatusCode);
        var message = await LatestMessageAsync(app, email, "recoveryCode");
        Assert.Equal("email", Str(message, "channel"));
        var reset = await ResetAsync(app, email, CodeFrom(message), NewPassword);

        Assert.Equal(HttpStatusCode.NoContent, reset.StatusCode);
        await AssertProblemAsync(await LoginAsync(app, email), HttpStatusCode.Unauthorized, "invalid_credentials");
        Assert.Equal(UserId(phone), UserId(await LoginOkAsync(app, email, NewPassword)));
        foreach (var session in new[] { phone, tablet })
        {
            await AssertProblemAsync(await PostAsync($"/v1/apps/{app}/token", new { refresh_token = Refresh(session) }),
                HttpStatusCode.Unauthorized, "session_revoked");
            await AssertProblemAsync(await GetAsync($"/v1/apps/{app}/me", Access(session)), HttpStatusCode.Unauthorized, "session_revoked");
        }
    }

    [Fact]
    public async Task Forgot_password_answers_alike_for_unknown_emails_and_sends_them_nothing()
    {
        var app = await CreateAppAsync(new { accessMode = "open", signupFlow = "none" });
        var known = NewEmail("known");
        await SignUpAsync(app, known);
        var unknown = NewEmail("unknown");

        var forKnown = await PostAsync($"/v1/apps/{app}/password/forgot", new { email = known });
        var forUnknown = await PostAsync($"/v1/apps/{app}/password/forgot", new { email = unknown });

        Assert.Equal(HttpStatusCode.Accepted, forKnown.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, forUnknown.StatusCode);
        Assert.Equal(await forKnown.Content.ReadAsStringAsync(Ct), await forUnknown.Content.ReadAsStringAsync(Ct));
        Assert.Equal(forKnown.Content.Headers.ContentType?.MediaType, forUnknown.Content.Headers.ContentType?.MediaType);
        await LatestMessageAsync(app, known, "recoveryCode");
        await AssertNoMessageAsync(app, unknown);
        await AssertNoUserAsync(app, unknown);
    }

    [Fact]
    public async Task A_wrong_recovery_code_changes_nothing()
    {
        var app = await CreateAppAsync(new { accessMode = "open", signupFlow = "none" });
        var email = NewEmail("wrongcode");
        var session = await SignUpAsync(app, email);
        await PostAsync($"/v1/apps/{app}/password/forgot", new { email });
        var code = CodeFrom(await LatestMessageAsync(app, email, "recoveryCode"));
        var wrong = code == "313131" ? "313132" : "313131";

        await AssertProblemAsync(await ResetAsync(app, email, wrong, NewPassword), HttpStatusCode.BadRequest, "code_invalid");
        await AssertProblemAsync(await ResetAsync(app, NewEmail("nobody"), code, NewPassword), HttpStatusCode.BadRequest, "code_invalid");

        await LoginOkAsync(app, email);
        await OkJsonAsync(await PostAsync($"/v1/apps/{app}/token", new { refresh_token = Refresh(session) }));
        await AssertProblemAsync(await LoginAsync(app, email, NewPassword), HttpStatusCode.Unauthorized, "invalid_credentials");
    }

    [Fact]
    public async Task An_unknown_email_cannot_be_reset_with_any_code()
    {
        var app = await CreateAppAsync(new { accessMode = "open", signupFlow = "none" });
        var email = NewEmail("ghost");
        await PostAsync($"/v1/apps/{app}/password/forgot", new { email });

        await AssertProblemAsync(await ResetAsync(app, email, "123456", NewPassword), HttpStatusCode.BadRequest, "code_invalid");

        await AssertNoUserAsync(app, email);
    }

    [Fact]
    public async Task A_weak_new_password_is_refused_and_the_code_still_works()
    {
        var app = await CreateAppAsync(new { accessMode = "open", signupFlow = "none" });
        var email = NewEmail("weaknew");
        await SignUpAsync(app, email);
        await PostAsync($"/v1/apps/{app}/password/forgot", new { email });
        var code = CodeFrom(await LatestMessageAsync(app, email, "recoveryCode"));

        var weak = await ResetAsync(app, email, code, "password1");

        AssertErrorFor(await AssertProblemAsync(weak, HttpStatusCode.BadRequest, "invalid_request"), "newPassword");
        await LoginOkAsync(app, email);
        Assert.Equal(HttpStatusCode.NoContent, (await ResetAsync(app, email, code, NewPassword)).StatusCode);
        await LoginOkAsync(app, email, NewPassword);
    }

    [Fact]
    public async Task A_recovery_code_works_once()
    {
        var app = await CreateAppAsync(new { accessMode = "open", signupFlow = "none" });
        var email = NewEmail("reuse");
        await SignUpAsync(app, email);
        await PostAsync($"/v1/apps/{app}/password/forgot", new { email });
        var code = CodeFrom(await LatestMessageAsync(app, email, "recoveryCode"));
        Assert.Equal(HttpStatusCode.NoContent, (await ResetAsync(app, email, code, NewPassword)).StatusCode);

        await AssertProblemAsync(await ResetAsync(app, email, code, OtherPassword), HttpStatusCode.BadRequest, "code_invalid");

        await LoginOkAsync(app, email, NewPassword);
    }

    [Fact]
    public async Task A_recovery_code_expires()
    {
        var app = await CreateAppAsync(new { accessMode = "open", signupFlow = "none" });
        var email = NewEmail("expired");
        await SignUpAsync(app, email);
        await PostAsync($"/v1/apps/{app}/password/forgot", new { email });
        var code = CodeFrom(await LatestMessageAsync(app, email, "recoveryCode"));

        // Past both the code and the link lifetime, whichever the server applies to recovery codes.
        Factory.Clock.Advance(TimeSpan.FromSeconds(3601));

        await AssertProblemAsync(await ResetAsync(app, email, code, NewPassword), HttpStatusCode.BadRequest, "code_expired");
        await LoginOkAsync(app, email);
    }

    [Fact]
    public async Task A_recovery_code_of_one_app_does_not_reset_the_same_email_in_another()
    {
        var app = await CreateAppAsync(new { accessMode = "open", signupFlow = "none" });
        var other = await CreateAppAsync(new { accessMode = "open", signupFlow = "none" });
        var email = NewEmail("twin");
        await SignUpAsync(app, email);
        await SignUpAsync(other, email);
        await PostAsync($"/v1/apps/{app}/password/forgot", new { email });
        var code = CodeFrom(await LatestMessageAsync(app, email, "recoveryCode"));

        await AssertProblemAsync(await ResetAsync(other, email, code, NewPassword), HttpStatusCode.BadRequest, "code_invalid");

        await LoginOkAsync(other, email);
    }

    [Fact]
    public async Task A_recovery_link_opens_a_form_and_the_app_resets_with_its_challenge_and_token()
    {
        var app = await CreateAppAsync(new { accessMode = "open", signupFlow = "none", passwordRecovery = "link" });
        var email = NewEmail("linkreset");
        var session = await SignUpAsync(app, email);

        Assert.Equal(HttpStatusCode.Accepted, (await PostAsync($"/v1/apps/{app}/password/forgot", new { email })).StatusCode);
        var link = new Uri(LinkFrom(await LatestMessageAsync(app, email, "recoveryLink")));

        Assert.Equal($"/v1/apps/{app}/password/reset", link.AbsolutePath);
        var query = System.Web.HttpUtility.ParseQueryString(link.Query);
        var challengeId = query["challenge"];
        var token = query["token"];
        Assert.False(string.IsNullOrEmpty(challengeId));
        Assert.False(string.IsNullOrEmpty(token));
        var page = await AssertHtmlAsync(await GetAsync(link.PathAndQuery), HttpStatusCode.OK);
        Assert.Equal("post", FormOf(page).Method, ignoreCase: true);
        await LoginOkAsync(app, email);

        var reset = await PostAsync($"/v1/apps/{app}/password/reset", new { challengeId, token, newPassword = NewPassword });

        Assert.Equal(HttpStatusCode.NoContent, reset.StatusCode);
        await LoginOkAsync(app, email, NewPassword);
        await AssertProblemAsync(await LoginAsync(app, email), HttpStatusCode.Unauthorized, "invalid_credentials");
        await AssertProblemAsync(await PostAsync($"/v1/apps/{app}/token", new { refresh_token = Refresh(session) }),
            HttpStatusCode.Unauthorized, "session_revoked");
        await AssertProblemAsync(await PostAsync($"/v1/apps/{app}/password/reset", new { challengeId, token, newPassword = OtherPassword }),
            HttpStatusCode.BadRequest, "code_invalid");
    }

    [Fact]
    public async Task A_person_resets_their_password_in_the_browser_through_the_links_form()
    {
        var app = await CreateAppAsync(new { accessMode = "open", signupFlow = "none", passwordRecovery = "link" });
        var email = NewEmail("browser");
        await SignUpAsync(app, email);
        await PostAsync($"/v1/apps/{app}/password/forgot", new { email });
        var link = new Uri(LinkFrom(await LatestMessageAsync(app, email, "recoveryLink")));
        var form = FormOf(await AssertHtmlAsync(await GetAsync(link.PathAndQuery), HttpStatusCode.OK));
        Assert.True(form.Inputs.ContainsKey("newPassword"), $"The form has no newPassword field: {string.Join(", ", form.Inputs.Keys)}");

        // What a browser sends: every named field, the password ones filled in.
        var fields = form.Inputs.ToDictionary(i => i.Key, i => i.Key.Contains("password", StringComparison.OrdinalIgnoreCase) ? NewPassword : i.Value);
        var target = string.IsNullOrEmpty(form.Action) ? link : new Uri(link, form.Action);
        var done = await AssertHtmlAsync(await PostFormAsync(target.PathAndQuery, fields), HttpStatusCode.OK);

        Assert.DoesNotContain(NewPassword, done);
        await LoginOkAsync(app, email, NewPassword);
        await AssertProblemAsync(await LoginAsync(app, email), HttpStatusCode.Unauthorized, "invalid_credentials");
    }

    [Fact]
    public async Task A_recovery_link_with_a_wrong_token_resets_nothing()
    {
        var app = await CreateAppAsync(new { accessMode = "open", signupFlow = "none", passwordRecovery = "link" });
        var email = NewEmail("forgedlink");
        await SignUpAsync(app, email);
        await PostAsync($"/v1/apps/{app}/password/forgot", new { email });
        var link = new Uri(LinkFrom(await LatestMessageAsync(app, email, "recoveryLink")));
        var challengeId = System.Web.HttpUtility.ParseQueryString(link.Query)["challenge"];

        await AssertProblemAsync(await PostAsync($"/v1/apps/{app}/password/reset", new { challengeId, token = "forged", newPassword = NewPassword }),
            HttpStatusCode.BadRequest, "code_invalid");

        await LoginOkAsync(app, email);
    }

    private Task<HttpResponseMessage> ResetAsync(string app, string email, string code, string newPassword) =>
        PostAsync($"/v1/apps/{app}/password/reset", new { email, code, newPassword });
}

[Collection(SqliteCollection.Name)]
public sealed class PasswordRecoveryTests_Sqlite(SqliteServer server) : PasswordRecoveryTests(server);

[Collection(PostgresCollection.Name)]
public sealed class PasswordRecoveryTests_Postgres(PostgresServer server) : PasswordRecoveryTests(server);
