using System.Net;
using System.Web;
using System.Xml.Linq;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.Mfa;

/// <summary>S3: an authenticator app (TOTP) as a second factor: set up, sign in with it, and the rules its codes follow.</summary>
public abstract class TotpTests(ServerFixture fixture) : MfaTest(fixture)
{
    [Fact]
    public async Task A_user_sets_up_an_authenticator_app_from_its_otpauth_uri_or_qr_code()
    {
        var app = await CreateAppAsync();
        var email = NewEmail("totp");
        var access = Access(await SignUpAsync(app, email));

        var setup = await OkJsonAsync(await PostAsync($"/v1/apps/{app}/me/mfa/totp", new { }, access));

        var secret = Str(setup, "secret");
        Assert.Matches("^[A-Z2-7]{32}$", secret);
        var uri = new Uri(Str(setup, "otpauthUri"));
        Assert.Equal("otpauth", uri.Scheme);
        Assert.Equal("totp", uri.Host);
        Assert.Equal($"/Test app {app}:{email}", Uri.UnescapeDataString(uri.AbsolutePath));
        var query = HttpUtility.ParseQueryString(uri.Query);
        Assert.Equal(secret, query["secret"]);
        Assert.Equal($"Test app {app}", query["issuer"]);
        Assert.Equal("SHA1", query["algorithm"]);
        Assert.Equal("6", query["digits"]);
        Assert.Equal("30", query["period"]);
        var svg = XDocument.Parse(Str(setup, "qrSvg"));
        Assert.Equal("svg", svg.Root!.Name.LocalName);
        Assert.NotNull(svg.Root.Attribute("viewBox"));

        // Not asked at sign-in until a first code confirms it.
        await OkJsonAsync(await LoginAsync(app, email));
        await AssertProblemAsync(await PostAsync($"/v1/apps/{app}/me/mfa/totp/confirm", new { code = "000000" }, access),
            HttpStatusCode.BadRequest, "code_invalid");

        var confirmed = await OkJsonAsync(await PostAsync($"/v1/apps/{app}/me/mfa/totp/confirm", new { code = await TotpAsync(secret) }, access));

        var codes = confirmed["recoveryCodes"]!.AsArray().Select(c => c!.GetValue<string>()).ToList();
        Assert.Equal(10, codes.Distinct().Count());
        Assert.All(codes, c => Assert.Matches("^[0-9a-z]{5}-[0-9a-z]{5}$", c));
        var overviewResponse = await GetAsync($"/v1/apps/{app}/me/mfa", access);
        var text = await overviewResponse.Content.ReadAsStringAsync(Ct);
        Assert.DoesNotContain(secret, text);
        var overview = await OkJsonAsync(overviewResponse);
        var factor = Assert.Single(overview["factors"]!.AsArray());
        Assert.Equal("totp", Str(factor, "kind"));
        Assert.True(Bool(factor, "confirmed"));
        Assert.Equal(["totp", "recovery"], Methods(overview));
        Assert.Equal(10, overview["recoveryCodesLeft"]!.GetValue<int>());
        // One authenticator at a time.
        await AssertProblemAsync(await PostAsync($"/v1/apps/{app}/me/mfa/totp", new { }, access), HttpStatusCode.Conflict, "mfa_already_enrolled");
    }

    [Fact]
    public async Task A_password_sign_in_asks_for_the_second_factor_and_an_authenticator_code_finishes_it()
    {
        var user = await EnrolledUserAsync();

        var required = await MfaRequiredAsync(user.App, user.Email);

        Assert.Equal(["totp", "recovery"], Methods(required));
        Assert.Null(required["access_token"]);
        var tokens = await OkJsonAsync(await FinishAsync(user.App, MfaToken(required), "totp", await TotpAsync(user.Secret)));
        Assert.Equal(UserId(user.Tokens), UserId(tokens));
        Assert.Equal(user.Email, Str(await MeAsync(user.App, Access(tokens)), "email"));
        Assert.Null(tokens["mfaEnrollmentRequired"]);

        // The mfaToken completes once.
        NextStep();
        await AssertProblemAsync(await FinishAsync(user.App, MfaToken(required), "totp", await TotpAsync(user.Secret)),
            HttpStatusCode.BadRequest, "code_invalid");
    }

    [Fact]
    public async Task A_replayed_code_within_its_step_is_refused_and_recorded()
    {
        var user = await EnrolledUserAsync();
        var code = await TotpAsync(user.Secret);
        await OkJsonAsync(await FinishAsync(user.App, MfaToken(await MfaRequiredAsync(user.App, user.Email)), "totp", code));

        var replay = await FinishAsync(user.App, MfaToken(await MfaRequiredAsync(user.App, user.Email)), "totp", code);

        var problem = await AssertProblemAsync(replay, HttpStatusCode.BadRequest, "code_invalid");
        Assert.Contains("already used", Str(problem, "detail"));
        Assert.Equal(4, problem["attemptsLeft"]!.GetValue<int>());
        var failure = Assert.Single(await MfaFailuresAsync(user.App));
        Assert.Equal(Guid.Parse(UserId(user.Tokens)), failure.TargetUserId);
        Assert.Contains("method=totp", failure.Detail);
        Assert.Contains("reason=replayed", failure.Detail);

        // Once the next step's code was used (clock drift), this step's code is older: refused too.
        await OkJsonAsync(await FinishAsync(user.App, MfaToken(await MfaRequiredAsync(user.App, user.Email)), "totp", await TotpAsync(user.Secret, 1)));
        var older = await FinishAsync(user.App, MfaToken(await MfaRequiredAsync(user.App, user.Email)), "totp", await TotpAsync(user.Secret));
        await AssertProblemAsync(older, HttpStatusCode.BadRequest, "code_invalid");
        Assert.Equal(2, (await MfaFailuresAsync(user.App)).Count(f => f.Detail!.Contains("reason=replayed")));
    }

    [Fact]
    public async Task One_step_of_clock_drift_is_accepted_and_two_are_not()
    {
        var user = await EnrolledUserAsync();
        NextStep();
        NextStep();
        var pending = MfaToken(await MfaRequiredAsync(user.App, user.Email));

        await AssertProblemAsync(await FinishAsync(user.App, pending, "totp", await TotpAsync(user.Secret, -2)), HttpStatusCode.BadRequest, "code_invalid");
        await AssertProblemAsync(await FinishAsync(user.App, pending, "totp", await TotpAsync(user.Secret, 2)), HttpStatusCode.BadRequest, "code_invalid");
        await OkJsonAsync(await FinishAsync(user.App, pending, "totp", await TotpAsync(user.Secret, -1)));

        var ahead = MfaToken(await MfaRequiredAsync(user.App, user.Email));
        await OkJsonAsync(await FinishAsync(user.App, ahead, "totp", await TotpAsync(user.Secret, 1)));
        Assert.Equal(2, (await MfaFailuresAsync(user.App)).Count(f => f.Detail!.Contains("reason=wrong_code")));
    }

    [Fact]
    public async Task Removing_the_authenticator_needs_a_current_code_and_takes_the_recovery_codes_with_it()
    {
        var user = await EnrolledUserAsync();
        var access = Access(user.Tokens);

        await AssertProblemAsync(await DeleteAsync($"/v1/apps/{user.App}/me/mfa/totp", access), HttpStatusCode.BadRequest, "invalid_request");
        await AssertProblemAsync(await SendAsync(HttpMethod.Delete, $"/v1/apps/{user.App}/me/mfa/totp", JsonContent.Create(new { code = "123456" }), access),
            HttpStatusCode.BadRequest, "code_invalid");
        Assert.Single(await MfaFailuresAsync(user.App));

        var removed = await SendAsync(HttpMethod.Delete, $"/v1/apps/{user.App}/me/mfa/totp",
            JsonContent.Create(new { code = await TotpAsync(user.Secret) }), access);

        Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        var overview = await MfaOverviewAsync(user.App, access);
        Assert.Empty(overview["factors"]!.AsArray());
        Assert.Empty(overview["methods"]!.AsArray());
        Assert.Equal(0, overview["recoveryCodesLeft"]!.GetValue<int>());
        await OkJsonAsync(await LoginAsync(user.App, user.Email));
    }

    [Fact]
    public async Task New_recovery_codes_need_a_current_code_and_replace_the_old_ones()
    {
        var user = await EnrolledUserAsync();
        var access = Access(user.Tokens);

        var renewed = await OkJsonAsync(await PostAsync($"/v1/apps/{user.App}/me/mfa/recovery-codes",
            new { method = "totp", code = await TotpAsync(user.Secret) }, access));

        var fresh = renewed["recoveryCodes"]!.AsArray().Select(c => c!.GetValue<string>()).ToList();
        Assert.Equal(10, fresh.Count);
        Assert.Empty(fresh.Intersect(user.RecoveryCodes));
        var pending = MfaToken(await MfaRequiredAsync(user.App, user.Email));
        await AssertProblemAsync(await FinishAsync(user.App, pending, "recovery", user.RecoveryCodes[0]), HttpStatusCode.BadRequest, "code_invalid");
        await OkJsonAsync(await FinishAsync(user.App, pending, "recovery", fresh[0]));
    }

    [Fact]
    public async Task Only_a_confirmed_authenticator_is_asked_for()
    {
        var app = await CreateAppAsync();
        var email = NewEmail("halfway");
        var access = Access(await SignUpAsync(app, email));
        await OkJsonAsync(await PostAsync($"/v1/apps/{app}/me/mfa/totp", new { }, access));

        var tokens = await OkJsonAsync(await LoginAsync(app, email));

        Assert.False(string.IsNullOrEmpty(Str(tokens, "access_token")));
        var overview = await MfaOverviewAsync(app, access);
        Assert.False(Bool(Assert.Single(overview["factors"]!.AsArray()), "confirmed"));
        Assert.Empty(overview["methods"]!.AsArray());
        Assert.Equal("optional", Str(overview, "policy"));
    }
}

[Collection(SqliteCollection.Name)]
public sealed class TotpTests_Sqlite(SqliteServer server) : TotpTests(server);

[Collection(PostgresCollection.Name)]
public sealed class TotpTests_Postgres(PostgresServer server) : TotpTests(server);
