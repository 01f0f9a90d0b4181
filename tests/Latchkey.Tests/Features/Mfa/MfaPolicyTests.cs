using System.Net;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.Mfa;

/// <summary>S3: the app's mfaPolicy: off, optional, requiredForAdmins, required.</summary>
public abstract class MfaPolicyTests(ServerFixture fixture) : MfaTest(fixture)
{
    [Fact]
    public async Task Policy_off_signs_users_in_without_their_second_factor()
    {
        var user = await EnrolledUserAsync(new { mfaPolicy = "off" });

        var tokens = await OkJsonAsync(await LoginAsync(user.App, user.Email));

        Assert.Equal(UserId(user.Tokens), UserId(tokens));
        Assert.Null(tokens["mfaEnrollmentRequired"]);
        await PatchSettingsAsync(user.App, new { mfaPolicy = "optional" });
        Assert.Equal(["totp", "recovery"], Methods(await MfaRequiredAsync(user.App, user.Email)));
    }

    [Fact]
    public async Task Optional_policy_asks_nothing_of_users_without_a_factor()
    {
        var app = await CreateAppAsync(new { mfaPolicy = "optional" });
        var email = NewEmail("plain");
        await SignUpAsync(app, email);

        var tokens = await OkJsonAsync(await LoginAsync(app, email));

        Assert.Null(tokens["mfaEnrollmentRequired"]);
        Assert.False(Bool(await MfaOverviewAsync(app, Access(tokens)), "enrollmentRequired"));
    }

    [Fact]
    public async Task Required_policy_lets_users_without_a_factor_in_to_enrol_and_then_asks_for_it()
    {
        var app = await CreateAppAsync(new { mfaPolicy = "required" });
        var email = NewEmail("mustenrol");
        Assert.True(Bool(await SignUpAsync(app, email), "mfaEnrollmentRequired"));

        var tokens = await OkJsonAsync(await LoginAsync(app, email));

        Assert.True(Bool(tokens, "mfaEnrollmentRequired"));
        var access = Access(tokens);
        Assert.True(Bool(await MfaOverviewAsync(app, access), "enrollmentRequired"));
        var (secret, _) = await EnrolTotpAsync(app, access);
        Assert.False(Bool(await MfaOverviewAsync(app, access), "enrollmentRequired"));
        NextStep();
        var required = await MfaRequiredAsync(app, email);
        var signedIn = await OkJsonAsync(await FinishAsync(app, MfaToken(required), "totp", await TotpAsync(secret)));
        Assert.Null(signedIn["mfaEnrollmentRequired"]);
        // The last factor cannot be removed while the policy requires one.
        NextStep();
        await AssertProblemAsync(await SendAsync(HttpMethod.Delete, $"/v1/apps/{app}/me/mfa/totp",
            JsonContent.Create(new { code = await TotpAsync(secret) }), access), HttpStatusCode.Forbidden, "forbidden");
    }

    [Fact]
    public async Task Required_for_admins_keeps_admins_without_a_factor_out_of_the_admin_api_until_they_enrol()
    {
        var app = await CreateAppAsync(new { mfaPolicy = "requiredForAdmins" });
        var member = NewEmail("member");
        await SignUpAsync(app, member);
        var admin = await AppAdminAsync(app);

        Assert.True(Bool(admin, "mfaEnrollmentRequired"));
        Assert.Null((await OkJsonAsync(await LoginAsync(app, member)))["mfaEnrollmentRequired"]);
        var refused = await GetAsync($"/v1/admin/apps/{app}/users", Access(admin));
        await AssertProblemAsync(refused, HttpStatusCode.Forbidden, "mfa_enrollment_required");

        var (secret, _) = await EnrolTotpAsync(app, Access(admin));

        await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{app}/users", Access(admin)));
        NextStep();
        var required = await MfaRequiredAsync(app, Str(admin["user"], "email"));
        await OkJsonAsync(await FinishAsync(app, MfaToken(required), "totp", await TotpAsync(secret)));
        // The platform's super admin is held to the console app's policy, which is optional here.
        await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{app}/users", await AdminTokenAsync()));
    }

    [Fact]
    public async Task Super_admins_are_held_to_the_console_apps_policy()
    {
        // A platform of its own: the shared one's console policy must stay as the other tests expect it.
        await using var platform = new LatchkeyFactory(TestDatabase.Create(Factory.Database.Name));
        using var client = platform.CreateClient();
        var root = await OkJsonAsync(await client.PostAsJsonAsync("/v1/apps/console/login",
            new { handle = LatchkeyFactory.AdminEmail, password = LatchkeyFactory.AdminPassword }, Ct));
        var access = Access(root);
        await OkJsonAsync(await SendWith(client, HttpMethod.Patch, "/v1/admin/apps/console", new { settings = new { mfaPolicy = "requiredForAdmins" } }, access));

        await AssertProblemAsync(await SendWith(client, HttpMethod.Get, "/v1/admin/apps", null, access), HttpStatusCode.Forbidden, "mfa_enrollment_required");

        var setup = await OkJsonAsync(await SendWith(client, HttpMethod.Post, "/v1/apps/console/me/mfa/totp", new { }, access));
        var code = await TotpAsync(Str(setup, "secret"), clock: platform.Clock);
        await OkJsonAsync(await SendWith(client, HttpMethod.Post, "/v1/apps/console/me/mfa/totp/confirm", new { code }, access));
        await OkJsonArrayAsync(await SendWith(client, HttpMethod.Get, "/v1/admin/apps", null, access));
    }

    private async Task<HttpResponseMessage> SendWith(HttpClient client, HttpMethod method, string path, object? body, string bearer)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", bearer);
        return await client.SendAsync(request, Ct);
    }
}

[Collection(SqliteCollection.Name)]
public sealed class MfaPolicyTests_Sqlite(SqliteServer server) : MfaPolicyTests(server);

[Collection(PostgresCollection.Name)]
public sealed class MfaPolicyTests_Postgres(PostgresServer server) : MfaPolicyTests(server);
