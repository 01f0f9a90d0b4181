using System.Net;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.Onboarding;

/// <summary>A5 user names: unique per app in any spelling, a login handle, and what other users see.</summary>
public abstract class UsernameTests(ServerFixture fixture) : OnboardingTest(fixture)
{
    [Fact]
    public async Task A_user_signs_up_with_a_user_name_and_logs_in_with_it_in_any_case()
    {
        var app = await CreateAppAsync(new { accessMode = "open", signupFlow = "none", usernamesEnabled = true });
        var email = NewEmail("ann");

        var tokens = await OkJsonAsync(await PostAsync($"/v1/apps/{app}/signup", new { email, password = GoodPassword, username = "Ann.Smith" }));

        Assert.Equal("Ann.Smith", Str(tokens["user"], "username"));
        Assert.Equal("Ann.Smith", Str(await MeAsync(app, Access(tokens)), "username"));
        foreach (var handle in new[] { "Ann.Smith", "ann.smith", "ANN.SMITH", "ＡＮＮ.smith" })
        {
            var response = await LoginAsync(app, handle);
            Assert.True(response.IsSuccessStatusCode, $"Login as {handle}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Ct)}");
            var login = await OkJsonAsync(response);
            Assert.Equal(UserId(tokens), UserId(login));
            Assert.Equal("Ann.Smith", Str(login["user"], "username"));
        }
        Assert.Equal(UserId(tokens), UserId(await LoginOkAsync(app, email)));
    }

    [Fact]
    public async Task A_taken_user_name_is_unavailable_in_every_spelling()
    {
        var app = await CreateAppAsync(new { accessMode = "open", signupFlow = "none", usernamesEnabled = true });
        Assert.True(await AvailableAsync(app, "Ann.Smith"));

        await OkJsonAsync(await PostAsync($"/v1/apps/{app}/signup", new { email = NewEmail("first"), password = GoodPassword, username = "Ann.Smith" }));

        foreach (var spelling in new[] { "Ann.Smith", "ann.smith", "ANN.SMITH", "ＡＮＮ.smith" })
        {
            Assert.False(await AvailableAsync(app, spelling), $"{spelling} should be taken");
        }
        Assert.True(await AvailableAsync(app, "ann.smith2"));
        Assert.True(await AvailableAsync(app, "annsmith"));
    }

    [Theory]
    [InlineData("ann.smith")]
    [InlineData("ANN.SMITH")]
    [InlineData("ＡＮＮ.smith")]
    public async Task Signing_up_with_a_taken_user_name_in_another_spelling_is_refused(string spelling)
    {
        var app = await CreateAppAsync(new { accessMode = "open", signupFlow = "none", usernamesEnabled = true });
        await OkJsonAsync(await PostAsync($"/v1/apps/{app}/signup", new { email = NewEmail("first"), password = GoodPassword, username = "Ann.Smith" }));
        var email = NewEmail("second");

        var response = await PostAsync($"/v1/apps/{app}/signup", new { email, password = GoodPassword, username = spelling });

        await AssertProblemAsync(response, HttpStatusCode.Conflict, "username_taken");
        await AssertNoUserAsync(app, email);
    }

    [Fact]
    public async Task The_same_user_name_can_live_in_two_apps()
    {
        var appA = await CreateAppAsync(new { accessMode = "open", signupFlow = "none", usernamesEnabled = true });
        var appB = await CreateAppAsync(new { accessMode = "open", signupFlow = "none", usernamesEnabled = true });
        await OkJsonAsync(await PostAsync($"/v1/apps/{appA}/signup", new { email = NewEmail("a"), password = GoodPassword, username = "twin" }));

        Assert.True(await AvailableAsync(appB, "twin"));
        await OkJsonAsync(await PostAsync($"/v1/apps/{appB}/signup", new { email = NewEmail("b"), password = OtherPassword, username = "twin" }));
        await AssertProblemAsync(await LoginAsync(appB, "twin", GoodPassword), HttpStatusCode.Unauthorized, "invalid_credentials");
    }

    [Fact]
    public async Task A_user_name_is_refused_when_the_app_has_user_names_off()
    {
        var app = await CreateAppAsync(new { accessMode = "open", signupFlow = "none", usernamesEnabled = false });
        var email = NewEmail("nousernames");

        var response = await PostAsync($"/v1/apps/{app}/signup", new { email, password = GoodPassword, username = "someone" });

        AssertErrorFor(await AssertProblemAsync(response, HttpStatusCode.BadRequest, "invalid_request"), "username");
        await AssertNoUserAsync(app, email);
        var tokens = await SignUpAsync(app, email);
        AssertErrorFor(await AssertProblemAsync(await PatchAsync($"/v1/apps/{app}/me", new { username = "someone" }, Access(tokens)),
            HttpStatusCode.BadRequest, "invalid_request"), "username");
    }

    [Theory]
    [InlineData("ab")]
    [InlineData("abcdefghijklmnopqrstuvwxyz0123456")]
    [InlineData(".ann")]
    [InlineData("ann.")]
    [InlineData("_ann")]
    [InlineData("ann-")]
    [InlineData("ann smith")]
    [InlineData("ann@smith")]
    [InlineData("ann+smith")]
    [InlineData("аdmin")] // Cyrillic а
    [InlineData("pаypal")] // Cyrillic а in the middle
    [InlineData("ännchen")]
    [InlineData("")]
    public async Task Badly_formed_user_names_are_refused(string username)
    {
        var app = await CreateAppAsync(new { accessMode = "open", signupFlow = "none", usernamesEnabled = true });
        var email = NewEmail("badname");

        var response = await PostAsync($"/v1/apps/{app}/signup", new { email, password = GoodPassword, username });

        AssertErrorFor(await AssertProblemAsync(response, HttpStatusCode.BadRequest, "invalid_request"), "username");
        await AssertNoUserAsync(app, email);
    }

    [Theory]
    [InlineData("abc", "abc")]
    [InlineData("0day", "0day")]
    [InlineData("a.b_c-d", "a.b_c-d")]
    [InlineData("abcdefghijklmnopqrstuvwxyz012345", "abcdefghijklmnopqrstuvwxyz012345")]
    [InlineData("ＡＤＡ", "ada")]
    public async Task Well_formed_user_names_are_accepted(string username, string loginAs)
    {
        var app = await CreateAppAsync(new { accessMode = "open", signupFlow = "none", usernamesEnabled = true });

        var tokens = await OkJsonAsync(await PostAsync($"/v1/apps/{app}/signup", new { email = NewEmail("goodname"), password = GoodPassword, username }));

        Assert.Equal(UserId(tokens), UserId(await LoginOkAsync(app, loginAs)));
        Assert.False(await AvailableAsync(app, loginAs));
    }

    [Fact]
    public async Task Other_users_see_a_user_name_and_display_name_but_never_the_email()
    {
        var app = await CreateAppAsync(new { accessMode = "open", signupFlow = "none", usernamesEnabled = true });
        var email = NewEmail("private");
        var ann = await OkJsonAsync(await PostAsync($"/v1/apps/{app}/signup", new { email, password = GoodPassword, username = "Ann.Smith" }));
        await OkJsonAsync(await PatchAsync($"/v1/apps/{app}/me", new { displayName = "Ann Smith" }, Access(ann)));
        var bob = await SignUpAsync(app);

        var response = await GetAsync($"/v1/apps/{app}/users/{UserId(ann)}", Access(bob));

        var text = await response.Content.ReadAsStringAsync(Ct);
        var seen = await OkJsonAsync(response);
        Assert.Equal(UserId(ann), Str(seen, "id"));
        Assert.Equal("Ann.Smith", Str(seen, "username"));
        Assert.Equal("Ann Smith", Str(seen, "displayName"));
        Assert.DoesNotContain(email, text, StringComparison.OrdinalIgnoreCase);
        Assert.False(seen.ContainsKey("email"));
        Assert.False(seen.ContainsKey("phone"));
        Assert.False(seen.ContainsKey("metadata"));
    }

    [Fact]
    public async Task Looking_up_a_user_needs_a_signed_in_user_of_the_same_app()
    {
        var app = await CreateAppAsync(new { accessMode = "open", signupFlow = "none", usernamesEnabled = true });
        var other = await CreateAppAsync(new { accessMode = "open", signupFlow = "none", usernamesEnabled = true });
        var ann = await OkJsonAsync(await PostAsync($"/v1/apps/{app}/signup", new { email = NewEmail("ann"), password = GoodPassword, username = "ann" }));
        var stranger = await SignUpAsync(other);
        var bob = await SignUpAsync(app);

        await AssertProblemAsync(await GetAsync($"/v1/apps/{app}/users/{UserId(ann)}"), HttpStatusCode.Unauthorized, "unauthorized");
        await AssertProblemAsync(await GetAsync($"/v1/apps/{app}/users/{UserId(ann)}", Access(stranger)), HttpStatusCode.Unauthorized, "unauthorized");
        await AssertProblemAsync(await GetAsync($"/v1/apps/{other}/users/{UserId(ann)}", Access(stranger)), HttpStatusCode.NotFound, "not_found");
        await AssertProblemAsync(await GetAsync($"/v1/apps/{app}/users/{Guid.NewGuid()}", Access(bob)), HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task A_user_sets_and_changes_their_user_name_and_the_old_one_becomes_free()
    {
        var app = await CreateAppAsync(new { accessMode = "open", signupFlow = "none", usernamesEnabled = true });
        var tokens = await SignUpAsync(app);

        var set = await OkJsonAsync(await PatchAsync($"/v1/apps/{app}/me", new { username = "First.Name" }, Access(tokens)));
        Assert.Equal("First.Name", Str(set, "username"));
        Assert.Equal(UserId(tokens), UserId(await LoginOkAsync(app, "first.name")));

        var changed = await OkJsonAsync(await PatchAsync($"/v1/apps/{app}/me", new { username = "Second" }, Access(tokens)));

        Assert.Equal("Second", Str(changed, "username"));
        Assert.True(await AvailableAsync(app, "first.name"));
        Assert.False(await AvailableAsync(app, "second"));
        await AssertProblemAsync(await LoginAsync(app, "first.name"), HttpStatusCode.Unauthorized, "invalid_credentials");
        Assert.Equal("Second", Str((await LoginOkAsync(app, "SECOND"))["user"], "username"));
    }

    [Fact]
    public async Task A_user_cannot_take_a_name_someone_else_has()
    {
        var app = await CreateAppAsync(new { accessMode = "open", signupFlow = "none", usernamesEnabled = true });
        await OkJsonAsync(await PostAsync($"/v1/apps/{app}/signup", new { email = NewEmail("holder"), password = GoodPassword, username = "Holder" }));
        var tokens = await OkJsonAsync(await PostAsync($"/v1/apps/{app}/signup", new { email = NewEmail("taker"), password = GoodPassword, username = "Taker" }));

        await AssertProblemAsync(await PatchAsync($"/v1/apps/{app}/me", new { username = "HOLDER" }, Access(tokens)), HttpStatusCode.Conflict, "username_taken");
        AssertErrorFor(await AssertProblemAsync(await PatchAsync($"/v1/apps/{app}/me", new { username = "аdmin" }, Access(tokens)),
            HttpStatusCode.BadRequest, "invalid_request"), "username");

        Assert.Equal("Taker", Str(await MeAsync(app, Access(tokens)), "username"));
        // Changing one's own name to another spelling of itself is fine.
        Assert.Equal("TAKER", Str(await OkJsonAsync(await PatchAsync($"/v1/apps/{app}/me", new { username = "TAKER" }, Access(tokens))), "username"));
    }

    private async Task<bool> AvailableAsync(string app, string name)
    {
        var response = await GetAsync($"/v1/apps/{app}/usernames/{Uri.EscapeDataString(name)}");
        Assert.True(response.IsSuccessStatusCode, $"Availability of {name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return (await OkJsonAsync(response))["available"]!.GetValue<bool>();
    }
}

[Collection(SqliteCollection.Name)]
public sealed class UsernameTests_Sqlite(SqliteServer server) : UsernameTests(server);

[Collection(PostgresCollection.Name)]
public sealed class UsernameTests_Postgres(PostgresServer server) : UsernameTests(server);
