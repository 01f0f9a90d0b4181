using System.Net;
using System.Text.Json.Nodes;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.Onboarding;

/// <summary>
/// Bad input on the onboarding endpoints: each answer is a clear 4xx problem, never a 500, and
/// nothing is created or sent half-way.
/// </summary>
public abstract class OnboardingBadInputTests(ServerFixture fixture) : OnboardingTest(fixture)
{
    /// <summary>An app where every onboarding door is open, so only the input can be wrong.</summary>
    private Task<string> OpenAppAsync() => CreateAppAsync(new
    {
        accessMode = "open",
        signupFlow = "code",
        anonymousEnabled = true,
        usernamesEnabled = true,
        invitationsEnabled = true,
        methods = new[] { "password", "emailCode", "smsCode" },
    });

    [Theory]
    [InlineData("not-an-email")]
    [InlineData("ann@")]
    [InlineData("@example.com")]
    [InlineData("ann smith@example.com")]
    [InlineData("ann@example")]
    [InlineData("ann@@example.com")]
    public async Task Malformed_emails_are_refused_by_every_endpoint_that_takes_one(string email)
    {
        var app = await OpenAppAsync();
        var admin = await AdminTokenAsync();

        AssertErrorFor(await Problem400(await PostAsync($"/v1/apps/{app}/signup", new { email, password = GoodPassword })), "email");
        AssertErrorFor(await Problem400(await PostAsync($"/v1/apps/{app}/login/code", new { email })), "email");
        AssertErrorFor(await Problem400(await PostAsync($"/v1/apps/{app}/password/forgot", new { email })), "email");
        AssertErrorFor(await Problem400(await PostAsync($"/v1/apps/{app}/invitations", new { handle = email }, admin)), "handle");
        AssertErrorFor(await Problem400(await PostAsync($"/v1/admin/apps/{app}/users", new { email, password = GoodPassword }, admin)), "email");
        var guest = await OkJsonAsync(await PostAsync($"/v1/apps/{app}/anonymous", new { }));
        AssertErrorFor(await Problem400(await PostAsync($"/v1/apps/{app}/me/upgrade", new { email, password = GoodPassword }, Access(guest))), "email");
        var member = await SignUpAsync(app);
        AssertErrorFor(await Problem400(await PatchAsync($"/v1/admin/apps/{app}/users/{UserId(member)}", new { email }, admin)), "email");

        var users = await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{app}/users", admin));
        Assert.Equal(2, users.Count);
        Assert.True(Bool(await MeAsync(app, Access(guest)), "anonymous"));
    }

    [Theory]
    [InlineData("12")]
    [InlineData("+1 555")]
    [InlineData("+44 abc")]
    public async Task Malformed_phones_are_refused_by_every_endpoint_that_takes_one(string phone)
    {
        var app = await OpenAppAsync();
        var admin = await AdminTokenAsync();

        AssertErrorFor(await Problem400(await PostAsync($"/v1/apps/{app}/signup", new { phone, password = GoodPassword })), "phone");
        AssertErrorFor(await Problem400(await PostAsync($"/v1/apps/{app}/login/code", new { phone })), "phone");
        AssertErrorFor(await Problem400(await PostAsync($"/v1/apps/{app}/invitations", new { handle = phone }, admin)), "handle");
        AssertErrorFor(await Problem400(await PostAsync($"/v1/admin/apps/{app}/users", new { phone, password = GoodPassword }, admin)), "phone");

        Assert.Empty(await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{app}/users", admin)));
    }

    [Fact]
    public async Task Oversized_metadata_is_refused_everywhere_and_creates_nothing()
    {
        var app = await OpenAppAsync();
        var admin = await AdminTokenAsync();
        JsonObject Big() => new() { ["blob"] = new string('x', 17 * 1024) };
        var email = NewEmail("big");

        AssertErrorFor(await Problem400(await PostAsync($"/v1/apps/{app}/signup", new { email, password = GoodPassword, metadata = Big() })), "metadata");
        AssertErrorFor(await Problem400(await PostAsync($"/v1/apps/{app}/invitations", new { handle = email, metadata = Big() }, admin)), "metadata");
        AssertErrorFor(await Problem400(await PostAsync($"/v1/admin/apps/{app}/users", new { email, password = GoodPassword, metadata = Big() }, admin)), "metadata");
        await AssertNoUserAsync(app, email);
        await AssertNoMessageAsync(app, email);

        // With an invitation in hand, a too-big acceptance leaves the invitation usable.
        var invitee = NewEmail("invitee");
        await CreatedJsonAsync(await PostAsync($"/v1/apps/{app}/invitations", new { handle = invitee }, admin));
        var code = CodeFrom(await LatestMessageAsync(app, invitee, "invitation"));
        AssertErrorFor(await Problem400(await PostAsync($"/v1/apps/{app}/invitations/accept",
            new { handle = invitee, code, password = GoodPassword, metadata = Big() })), "metadata");
        await AssertNoUserAsync(app, invitee);
        await OkJsonAsync(await PostAsync($"/v1/apps/{app}/invitations/accept", new { handle = invitee, code, password = GoodPassword }));
    }

    [Fact]
    public async Task Unknown_ids_are_refused_without_creating_anything()
    {
        var app = await OpenAppAsync();
        var admin = await AdminTokenAsync();
        var member = await SignUpAsync(app);
        var unknown = Guid.NewGuid().ToString();

        await AssertProblemAsync(await PostAsync($"/v1/apps/{app}/signup/verify", new { verificationId = unknown, code = "123456" }),
            HttpStatusCode.BadRequest, "code_invalid");
        await AssertProblemAsync(await PostAsync($"/v1/apps/{app}/login/code/verify", new { challengeId = unknown, code = "123456" }),
            HttpStatusCode.BadRequest, "code_invalid");
        await AssertProblemOneOfAsync(await GetAsync($"/v1/apps/{app}/signup/{unknown}?wait=0"),
            (HttpStatusCode.BadRequest, "code_invalid"), (HttpStatusCode.NotFound, "not_found"));
        await AssertProblemAsync(await PostAsync($"/v1/apps/{app}/password/reset", new { challengeId = unknown, token = "x", newPassword = OtherPassword }),
            HttpStatusCode.BadRequest, "code_invalid");
        await AssertProblemAsync(await DeleteAsync($"/v1/apps/{app}/invitations/{unknown}", admin), HttpStatusCode.NotFound, "not_found");
        await AssertProblemAsync(await PatchAsync($"/v1/admin/apps/{app}/users/{unknown}", new { disabled = true }, admin), HttpStatusCode.NotFound, "not_found");
        await AssertProblemAsync(await DeleteAsync($"/v1/admin/apps/{app}/users/{unknown}", admin), HttpStatusCode.NotFound, "not_found");
        await AssertProblemAsync(await DeleteAsync($"/v1/admin/apps/{app}/server-keys/{unknown}", admin), HttpStatusCode.NotFound, "not_found");
        await AssertProblemAsync(await GetAsync($"/v1/apps/{app}/users/{unknown}", Access(member)), HttpStatusCode.NotFound, "not_found");

        Assert.Single(await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{app}/users", admin)));
    }

    [Theory]
    [InlineData("not-a-guid")]
    [InlineData("1")]
    [InlineData("%20")]
    [InlineData("00000000-0000-0000-0000-000000000000x")]
    public async Task Ids_that_are_not_ids_are_a_client_error_not_a_crash(string id)
    {
        var app = await OpenAppAsync();
        var admin = await AdminTokenAsync();
        var member = await SignUpAsync(app);

        await AssertRefusedAsync(await PostAsync($"/v1/apps/{app}/signup/verify", new { verificationId = Uri.UnescapeDataString(id), code = "123456" }));
        await AssertRefusedAsync(await PostAsync($"/v1/apps/{app}/login/code/verify", new { challengeId = Uri.UnescapeDataString(id), code = "123456" }));
        await AssertRefusedAsync(await GetAsync($"/v1/apps/{app}/signup/{id}?wait=0"));
        await AssertRefusedAsync(await SendAsync(HttpMethod.Post, $"/v1/apps/{app}/signup/confirm?token={id}", null, null), htmlAllowed: true);
        await AssertRefusedAsync(await DeleteAsync($"/v1/apps/{app}/invitations/{id}", admin));
        await AssertRefusedAsync(await PatchAsync($"/v1/admin/apps/{app}/users/{id}", new { disabled = true }, admin));
        await AssertRefusedAsync(await DeleteAsync($"/v1/admin/apps/{app}/server-keys/{id}", admin));
        await AssertRefusedAsync(await GetAsync($"/v1/apps/{app}/users/{id}", Access(member)));
    }

    [Theory]
    [InlineData("/signup/verify", """{ "verificationId": "0190a1b2-0000-7000-8000-000000000000" }""")]
    [InlineData("/signup/verify", """{ "code": "123456" }""")]
    [InlineData("/signup/verify", """{ "verificationId": "0190a1b2-0000-7000-8000-000000000000", "code": 123456 }""")]
    [InlineData("/login/code", "{}")]
    [InlineData("/login/code", """{ "email": "a@example.com", "phone": "+442079460958" }""")]
    [InlineData("/login/code/verify", """{ "challengeId": "0190a1b2-0000-7000-8000-000000000000" }""")]
    [InlineData("/invitations/accept", """{ "code": "123456", "password": "correct horse battery staple" }""")]
    [InlineData("/invitations/accept", """{ "handle": "a@example.com", "password": "correct horse battery staple" }""")]
    [InlineData("/password/forgot", "{}")]
    [InlineData("/password/reset", """{ "email": "a@example.com", "code": "123456" }""")]
    [InlineData("/signup", """{ "email": "a@example.com", "password": "correct horse battery staple", "metadata": [1, 2] }""")]
    [InlineData("/signup", """{ "email": "a@example.com", "password": "correct horse battery staple", "username": 7 }""")]
    public async Task Missing_or_mistyped_fields_are_an_invalid_request(string path, string json)
    {
        var app = await OpenAppAsync();

        var response = await PostRawAsync($"/v1/apps/{app}{path}", json);

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "invalid_request");
        await AssertNoUserAsync(app, "a@example.com");
        await AssertNoMessageAsync(app, "a@example.com");
    }

    [Theory]
    [InlineData("12345")]
    [InlineData("1234567")]
    [InlineData("abcdef")]
    [InlineData("")]
    public async Task A_code_of_the_wrong_shape_is_refused_and_the_right_one_still_works(string code)
    {
        var app = await CreateAppAsync(new { accessMode = "registered", signupFlow = "code" });
        var email = NewEmail("shape");
        var pending = await PendingSignupAsync(app, email);

        await AssertClientErrorAsync(await VerifySignupAsync(app, pending.VerificationId, code));

        await OkJsonAsync(await VerifySignupAsync(app, pending.VerificationId, pending.Code));
    }

    [Theory]
    [InlineData("""{ "name": 5 }""")]
    [InlineData("""{ "name": ["backend"] }""")]
    public async Task A_server_key_request_of_the_wrong_shape_is_refused_and_makes_no_key(string json)
    {
        var app = await OpenAppAsync();
        var admin = await AdminTokenAsync();

        await AssertProblemAsync(await PostRawAsync($"/v1/admin/apps/{app}/server-keys", json, admin), HttpStatusCode.BadRequest, "invalid_request");

        Assert.Empty(await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{app}/server-keys", admin)));
    }

    [Fact]
    public async Task Basic_credentials_that_are_not_a_server_key_are_refused()
    {
        var app = await OpenAppAsync();
        var email = NewEmail("garbage");

        await AssertProblemAsync(await SendBasicAsync(HttpMethod.Post, $"/v1/apps/{app}/invitations", new { handle = email }, Guid.NewGuid().ToString(), "secret"),
            HttpStatusCode.Unauthorized, "unauthorized");
        await AssertProblemAsync(await SendBasicAsync(HttpMethod.Post, $"/v1/apps/{app}/invitations", new { handle = email }, "", ""),
            HttpStatusCode.Unauthorized, "unauthorized");
        await AssertProblemAsync(await SendBasicAsync(HttpMethod.Post, $"/v1/apps/{app}/invitations", new { handle = email }, "no:colon:here", "x"),
            HttpStatusCode.Unauthorized, "unauthorized");

        await AssertNoMessageAsync(app, email);
    }

    private static Task<JsonObject> Problem400(HttpResponseMessage response) => AssertProblemAsync(response, HttpStatusCode.BadRequest, "invalid_request");

    /// <summary>A 4xx problem, or for browser pages an HTML error page with a 4xx status.</summary>
    private static async Task AssertRefusedAsync(HttpResponseMessage response, bool htmlAllowed = false)
    {
        if (htmlAllowed && response.Content.Headers.ContentType?.MediaType == "text/html")
        {
            var status = (int)response.StatusCode;
            Assert.True(status is >= 400 and < 500, $"Expected a 4xx page, got {status}: {await response.Content.ReadAsStringAsync()}");
            return;
        }
        await AssertClientErrorAsync(response);
    }
}

[Collection(SqliteCollection.Name)]
public sealed class OnboardingBadInputTests_Sqlite(SqliteServer server) : OnboardingBadInputTests(server);

[Collection(PostgresCollection.Name)]
public sealed class OnboardingBadInputTests_Postgres(PostgresServer server) : OnboardingBadInputTests(server);
