using System.Net;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.SignUp;

public abstract class SignUpAndLoginTests(ServerFixture fixture) : ApiTest(fixture)
{
    [Fact]
    public async Task Sign_up_answers_tokens_and_the_user_with_a_normalised_email()
    {
        var app = await CreateAppAsync();
        var local = "Ann." + Guid.NewGuid().ToString("N")[..8];

        var tokens = await SignUpAsync(app, $"  {local}@EXAMPLE.com ");

        Assert.Equal("Bearer", Str(tokens, "token_type"));
        Assert.Equal(900, tokens["expires_in"]!.GetValue<int>());
        Assert.InRange(tokens["refresh_expires_in"]!.GetValue<int>(), 2_591_000, 2_592_000);
        Assert.Equal(43, Str(tokens, "refresh_token").Length);
        var user = tokens["user"]!;
        Assert.Equal($"{local.ToLowerInvariant()}@example.com", Str(user, "email"));
        Assert.Equal(Str(user, "email"), Str(user, "handle"));
        Assert.Equal("user", Str(user, "role"));
        Assert.Equal("free", Str(user, "plan"));
        Assert.False(user["anonymous"]!.GetValue<bool>());
    }

    [Fact]
    public async Task The_same_email_twice_in_one_app_is_refused_in_any_spelling()
    {
        var app = await CreateAppAsync();
        var email = NewEmail("dup");
        await SignUpAsync(app, email);

        var again = await PostAsync($"/v1/apps/{app}/signup", new { email = email.ToUpperInvariant(), password = GoodPassword + "!" });

        await AssertProblemAsync(again, HttpStatusCode.Conflict, "email_taken");
        var login = await PostAsync($"/v1/apps/{app}/login", new { handle = email, password = GoodPassword + "!" });
        await AssertProblemAsync(login, HttpStatusCode.Unauthorized, "invalid_credentials");
    }

    [Fact]
    public async Task The_same_email_in_two_apps_is_two_users_that_never_see_each_other()
    {
        var appA = await CreateAppAsync();
        var appB = await CreateAppAsync();
        var email = NewEmail("twin");

        var inA = await SignUpAsync(appA, email);
        var inB = await OkJsonAsync(await PostAsync($"/v1/apps/{appB}/signup", new { email, password = "another long passphrase" }));

        Assert.NotEqual(Str(inA["user"], "id"), Str(inB["user"], "id"));
        await AssertProblemAsync(await PostAsync($"/v1/apps/{appB}/login", new { handle = email, password = GoodPassword }),
            HttpStatusCode.Unauthorized, "invalid_credentials");
        await AssertProblemAsync(await GetAsync($"/v1/apps/{appB}/me", Str(inA, "access_token")), HttpStatusCode.Unauthorized, "unauthorized");
        var refreshElsewhere = await PostAsync($"/v1/apps/{appB}/token", new { refresh_token = Str(inA, "refresh_token") });
        await AssertProblemAsync(refreshElsewhere, HttpStatusCode.Unauthorized, "refresh_token_invalid");
    }

    [Theory]
    [InlineData("short", "at least 8")]
    [InlineData("password1", "too common")]
    [InlineData("iloveyou", "too common")]
    [InlineData("QWERTYUIOP", "too common")]
    public async Task Weak_passwords_are_refused_and_nothing_is_stored(string password, string reason)
    {
        var app = await CreateAppAsync();
        var email = NewEmail("weak");

        var response = await PostAsync($"/v1/apps/{app}/signup", new { email, password });

        var problem = await AssertProblemAsync(response, HttpStatusCode.BadRequest, "invalid_request");
        Assert.Contains(reason, problem["errors"]!["password"]![0]!.GetValue<string>());
        await SignUpAsync(app, email);
    }

    [Fact]
    public async Task Sign_up_reports_every_bad_field_at_once_and_keeps_the_first_ones_code()
    {
        var app = await CreateAppAsync();

        var response = await PostAsync($"/v1/apps/{app}/signup", new { email = "not an email", password = "short", username = "ann" });

        var problem = await AssertProblemAsync(response, HttpStatusCode.BadRequest, "invalid_request");
        var errors = problem["errors"]!.AsObject();
        Assert.Equal(["email", "username", "password"], errors.Select(e => e.Key));
        Assert.Equal("This is not a valid email address.", errors["email"]![0]!.GetValue<string>());
        Assert.Equal("This app does not use user names.", errors["username"]![0]!.GetValue<string>());
        Assert.Contains("at least 8", errors["password"]![0]!.GetValue<string>());
        // The detail reads every message, as plain sentences.
        var detail = problem["detail"]!.GetValue<string>();
        Assert.StartsWith("This is not a valid email address. This app does not use user names. The password must be at least 8", detail);

        var one = await AssertProblemAsync(await PostAsync($"/v1/apps/{app}/signup", new { email = NewEmail(), password = "short" }),
            HttpStatusCode.BadRequest, "invalid_request");
        Assert.Equal(["password"], one["errors"]!.AsObject().Select(e => e.Key));
        Assert.Equal(one["errors"]!["password"]![0]!.GetValue<string>(), one["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task Without_a_valid_handle_sign_up_still_asks_for_the_password_an_app_requires()
    {
        var app = await CreateAppAsync();

        var response = await PostAsync($"/v1/apps/{app}/signup", new { phone = "12", metadata = new { } });

        var problem = await AssertProblemAsync(response, HttpStatusCode.BadRequest, "invalid_request");
        Assert.Equal(["phone", "password"], problem["errors"]!.AsObject().Select(e => e.Key));
    }

    [Fact]
    public async Task A_password_made_of_the_email_is_refused_but_long_passphrases_and_unicode_are_fine()
    {
        var app = await CreateAppAsync();
        var email = NewEmail("self");
        await AssertProblemAsync(await PostAsync($"/v1/apps/{app}/signup", new { email, password = email }),
            HttpStatusCode.BadRequest, "invalid_request");

        var passphrase = string.Join(' ', Enumerable.Repeat("tränenüberströmt 🔐 horse", 20));
        var tokens = await OkJsonAsync(await PostAsync($"/v1/apps/{app}/signup", new { email, password = passphrase }));
        var login = await PostAsync($"/v1/apps/{app}/login", new { handle = email, password = passphrase });
        Assert.Equal(Str(tokens["user"], "id"), Str((await OkJsonAsync(login))["user"], "id"));
    }

    [Fact]
    public async Task Login_with_the_right_password_answers_tokens_for_the_same_user()
    {
        var app = await CreateAppAsync();
        var email = NewEmail("login");
        var signedUp = await SignUpAsync(app, email);

        var login = await OkJsonAsync(await PostAsync($"/v1/apps/{app}/login", new { handle = email.ToUpperInvariant(), password = GoodPassword }));

        Assert.Equal(Str(signedUp["user"], "id"), Str(login["user"], "id"));
        Assert.NotEqual(Str(signedUp, "refresh_token"), Str(login, "refresh_token"));
    }

    [Fact]
    public async Task A_wrong_password_and_an_unknown_email_answer_exactly_alike()
    {
        var app = await CreateAppAsync();
        var email = NewEmail("known");
        await SignUpAsync(app, email);

        var wrong = await AssertProblemAsync(await PostAsync($"/v1/apps/{app}/login", new { handle = email, password = "not the password" }),
            HttpStatusCode.Unauthorized, "invalid_credentials");
        var unknown = await AssertProblemAsync(await PostAsync($"/v1/apps/{app}/login", new { handle = NewEmail("ghost"), password = "not the password" }),
            HttpStatusCode.Unauthorized, "invalid_credentials");
        var notAnEmail = await AssertProblemAsync(await PostAsync($"/v1/apps/{app}/login", new { handle = "nobody", password = "not the password" }),
            HttpStatusCode.Unauthorized, "invalid_credentials");

        Assert.Equal(wrong.ToJsonString(), unknown.ToJsonString());
        Assert.Equal(wrong.ToJsonString(), notAnEmail.ToJsonString());
    }

    [Fact]
    public async Task Logging_in_after_the_hashing_cost_rose_rehashes_the_password()
    {
        var app = await CreateAppAsync();
        var email = NewEmail("rehash");
        // The shared server hashes at the cheapest cost; a sibling on the same database runs at the default one.
        await using var costly = Factory.Sibling(new Dictionary<string, string?>
        {
            ["Latchkey:Passwords:MemoryKiB"] = "19456",
            ["Latchkey:Passwords:Iterations"] = "2",
        });
        var costlyClient = costly.CreateClient();
        await SignUpAsync(app, email);
        Assert.StartsWith("$argon2id$v=19$m=8192,t=1,p=1$", await PasswordHashAsync(email, app));

        (await costlyClient.PostAsJsonAsync($"/v1/apps/{app}/login", new { handle = email, password = GoodPassword }, Ct)).EnsureSuccessStatusCode();

        Assert.StartsWith("$argon2id$v=19$m=19456,t=2,p=1$", await PasswordHashAsync(email, app));
        (await costlyClient.PostAsJsonAsync($"/v1/apps/{app}/login", new { handle = email, password = GoodPassword }, Ct)).EnsureSuccessStatusCode();
        await OkJsonAsync(await PostAsync($"/v1/apps/{app}/login", new { handle = email, password = GoodPassword }));
    }

    private async Task<string> PasswordHashAsync(string email, string app)
    {
        await using var scope = Factory.Services.CreateAsyncScope();
        var accounts = scope.ServiceProvider.GetRequiredService<Latchkey.Server.Features.Users.UserAccounts>();
        var db = scope.ServiceProvider.GetRequiredService<Latchkey.Server.Infrastructure.Persistence.LatchkeyDbContext>();
        var appRow = await db.Apps.FindAsync([app], Ct);
        db.TenantAppId = app;
        var user = await accounts.FindByEmailAsync(appRow!, email, Ct);
        return user!.PasswordHash!;
    }
}

[Collection(SqliteCollection.Name)]
public sealed class SignUpAndLoginTests_Sqlite(SqliteServer server) : SignUpAndLoginTests(server);

[Collection(PostgresCollection.Name)]
public sealed class SignUpAndLoginTests_Postgres(PostgresServer server) : SignUpAndLoginTests(server);
