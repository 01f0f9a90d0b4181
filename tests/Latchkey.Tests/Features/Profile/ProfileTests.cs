using System.Net;
using System.Text.Json.Nodes;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.Profile;

public abstract class ProfileTests(ServerFixture fixture) : ApiTest(fixture)
{
    [Fact]
    public async Task A_new_user_sees_their_email_role_plan_and_an_empty_profile()
    {
        var app = await CreateAppAsync();
        var email = NewEmail("me");
        var tokens = await SignUpAsync(app, email);

        var me = await OkJsonAsync(await GetAsync($"/v1/apps/{app}/me", Str(tokens, "access_token")));

        Assert.Equal(Str(tokens["user"], "id"), Str(me, "id"));
        Assert.Equal(email, Str(me, "email"));
        Assert.Equal(email, Str(me, "handle"));
        Assert.False(me["emailVerified"]!.GetValue<bool>());
        Assert.False(me["anonymous"]!.GetValue<bool>());
        Assert.Equal("user", Str(me, "role"));
        Assert.Equal("free", Str(me, "plan"));
        Assert.True(me.ContainsKey("displayName"));
        Assert.Null(me["displayName"]);
        Assert.Null(me["pronouns"]);
        Assert.Equal("{}", me["preferences"]!.AsObject().ToJsonString());
        Assert.Equal("{}", me["metadata"]!.AsObject().ToJsonString());
    }

    [Fact]
    public async Task Metadata_given_at_sign_up_is_on_the_profile()
    {
        var app = await CreateAppAsync();
        var tokens = await SignUpAsync(app, metadata: new { coupon = "X1", source = new { campaign = "spring" } });

        var me = await OkJsonAsync(await GetAsync($"/v1/apps/{app}/me", Str(tokens, "access_token")));

        Assert.Equal("X1", Str(me["metadata"], "coupon"));
        Assert.Equal("spring", Str(me["metadata"]!["source"], "campaign"));
        Assert.Equal("{}", me["preferences"]!.AsObject().ToJsonString());
    }

    [Fact]
    public async Task Patching_the_profile_changes_only_the_fields_sent()
    {
        var app = await CreateAppAsync();
        var tokens = await SignUpAsync(app, metadata: new { coupon = "X1" });
        var token = Str(tokens, "access_token");

        var patched = await OkJsonAsync(await PatchAsync($"/v1/apps/{app}/me",
            new { displayName = "Ada Lovelace", pronouns = "she/her", preferences = new { theme = "dark", fontSize = 14 } }, token));

        Assert.Equal("Ada Lovelace", Str(patched, "displayName"));
        Assert.Equal("she/her", Str(patched, "pronouns"));
        Assert.Equal("dark", Str(patched["preferences"], "theme"));
        Assert.Equal(14, patched["preferences"]!["fontSize"]!.GetValue<int>());
        Assert.Equal("X1", Str(patched["metadata"], "coupon"));

        // Only the metadata is sent: the other fields stay as they were.
        var second = await OkJsonAsync(await PatchAsync($"/v1/apps/{app}/me", new { metadata = new { tier = "gold" } }, token));
        Assert.Equal("Ada Lovelace", Str(second, "displayName"));
        Assert.Equal("she/her", Str(second, "pronouns"));
        Assert.Equal("dark", Str(second["preferences"], "theme"));
        Assert.Equal("gold", Str(second["metadata"], "tier"));
        Assert.False(second["metadata"]!.AsObject().ContainsKey("coupon"));

        var me = await OkJsonAsync(await GetAsync($"/v1/apps/{app}/me", token));
        Assert.Equal(second.ToJsonString(), me.ToJsonString());
    }

    [Fact]
    public async Task Null_clears_a_profile_field_and_absent_fields_stay()
    {
        var app = await CreateAppAsync();
        var token = Str(await SignUpAsync(app), "access_token");
        await OkJsonAsync(await PatchAsync($"/v1/apps/{app}/me",
            new { displayName = "Grace", pronouns = "she/her", preferences = new { theme = "light" }, metadata = new { a = 1 } }, token));

        var cleared = await OkJsonAsync(await PatchAsync($"/v1/apps/{app}/me",
            new JsonObject { ["displayName"] = null, ["preferences"] = null }, token));

        Assert.Null(cleared["displayName"]);
        Assert.Equal("{}", cleared["preferences"]!.AsObject().ToJsonString());
        Assert.Equal("she/her", Str(cleared, "pronouns"));
        Assert.Equal(1, cleared["metadata"]!["a"]!.GetValue<int>());
        var me = await OkJsonAsync(await GetAsync($"/v1/apps/{app}/me", token));
        Assert.Null(me["displayName"]);
        Assert.Equal("{}", me["preferences"]!.AsObject().ToJsonString());
        Assert.Equal("she/her", Str(me, "pronouns"));
    }

    public static TheoryData<string, string> BadPatches => new()
    {
        { """{ "displayName": 5 }""", "displayName" },
        { """{ "displayName": { "first": "A" } }""", "displayName" },
        { """{ "pronouns": true }""", "pronouns" },
        { """{ "preferences": "x" }""", "preferences" },
        { """{ "metadata": [1, 2] }""", "metadata" },
        { """{ "email": "someone.else@example.com" }""", "email" },
        { """{ "role": "admin" }""", "role" },
        { """{ "plan": "pro" }""", "plan" },
        { """{ "emailVerified": true }""", "emailVerified" },
        { """{ "favouriteColour": "blue" }""", "favouriteColour" },
        { """{ "displayName": "Fine name", "role": "superadmin" }""", "role" },
    };

    [Theory]
    [MemberData(nameof(BadPatches))]
    public async Task A_profile_patch_with_a_wrong_type_or_a_field_that_cannot_be_changed_is_refused_whole(string patch, string field)
    {
        var app = await CreateAppAsync();
        var token = Str(await SignUpAsync(app, metadata: new { coupon = "X1" }), "access_token");
        await OkJsonAsync(await PatchAsync($"/v1/apps/{app}/me", new { displayName = "Before", preferences = new { theme = "dark" } }, token));
        var before = await OkJsonAsync(await GetAsync($"/v1/apps/{app}/me", token));

        var response = await SendAsync(HttpMethod.Patch, $"/v1/apps/{app}/me",
            new StringContent(patch, System.Text.Encoding.UTF8, "application/json"), token);

        var problem = await AssertProblemAsync(response, HttpStatusCode.BadRequest, "invalid_request");
        Assert.NotNull(problem["errors"]?[field]);
        var after = await OkJsonAsync(await GetAsync($"/v1/apps/{app}/me", token));
        Assert.Equal(before.ToJsonString(), after.ToJsonString());
        Assert.Equal("user", Str(after, "role"));
    }

    [Theory]
    [InlineData("metadata")]
    [InlineData("preferences")]
    public async Task A_profile_object_over_16_KiB_is_refused_and_nothing_changes(string field)
    {
        var app = await CreateAppAsync();
        var token = Str(await SignUpAsync(app, metadata: new { coupon = "X1" }), "access_token");
        var before = await OkJsonAsync(await GetAsync($"/v1/apps/{app}/me", token));

        var response = await PatchAsync($"/v1/apps/{app}/me",
            new JsonObject { [field] = new JsonObject { ["blob"] = new string('a', 17 * 1024) }, ["displayName"] = "Too big" }, token);

        var problem = await AssertProblemAsync(response, HttpStatusCode.BadRequest, "invalid_request");
        Assert.NotNull(problem["errors"]?[field]);
        var after = await OkJsonAsync(await GetAsync($"/v1/apps/{app}/me", token));
        Assert.Equal(before.ToJsonString(), after.ToJsonString());
    }

    [Fact]
    public async Task Metadata_just_under_16_KiB_is_accepted()
    {
        var app = await CreateAppAsync();
        var token = Str(await SignUpAsync(app), "access_token");
        var blob = new string('b', 15 * 1024);

        var patched = await OkJsonAsync(await PatchAsync($"/v1/apps/{app}/me", new { metadata = new { blob } }, token));

        Assert.Equal(blob, Str(patched["metadata"], "blob"));
    }

    [Fact]
    public async Task Sign_up_with_oversized_metadata_is_refused_and_the_email_stays_free()
    {
        var app = await CreateAppAsync();
        var email = NewEmail("bigmeta");

        var response = await PostAsync($"/v1/apps/{app}/signup",
            new { email, password = GoodPassword, metadata = new { blob = new string('m', 17 * 1024) } });

        var problem = await AssertProblemAsync(response, HttpStatusCode.BadRequest, "invalid_request");
        Assert.NotNull(problem["errors"]?["metadata"]);
        var tokens = await SignUpAsync(app, email, metadata: new { small = true });
        var me = await OkJsonAsync(await GetAsync($"/v1/apps/{app}/me", Str(tokens, "access_token")));
        Assert.Equal(email, Str(me, "email"));
        Assert.True(me["metadata"]!["small"]!.GetValue<bool>());
    }

    [Fact]
    public async Task The_profile_needs_a_bearer_token()
    {
        var app = await CreateAppAsync();

        await AssertProblemAsync(await GetAsync($"/v1/apps/{app}/me"), HttpStatusCode.Unauthorized, "unauthorized");
        await AssertProblemAsync(await PatchAsync($"/v1/apps/{app}/me", new { displayName = "Nobody" }), HttpStatusCode.Unauthorized, "unauthorized");
    }
}

[Collection(SqliteCollection.Name)]
public sealed class ProfileTests_Sqlite(SqliteServer server) : ProfileTests(server);

[Collection(PostgresCollection.Name)]
public sealed class ProfileTests_Postgres(PostgresServer server) : ProfileTests(server);
