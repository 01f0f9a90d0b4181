using System.Net;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.Sessions;

public abstract class SessionTests(ServerFixture fixture) : ApiTest(fixture)
{
    private static readonly object Pixel = new { id = "dev-1", name = "Ann's Pixel", platform = "android", osVersion = "15", appVersion = "1.2.0" };
    private static readonly object IPhone = new { id = "dev-2", name = "Ann's iPhone", platform = "ios", language = new { id = "en-GB", region = "GB", code = "en" } };

    [Fact]
    public async Task Logout_kills_the_session_for_its_access_and_refresh_tokens()
    {
        var app = await CreateAppAsync();
        var tokens = await SignUpAsync(app);

        var logout = await PostAsync($"/v1/apps/{app}/logout", new { }, Str(tokens, "access_token"));

        Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        await AssertProblemAsync(await GetAsync($"/v1/apps/{app}/me", Str(tokens, "access_token")), HttpStatusCode.Unauthorized, "session_revoked");
        await AssertProblemAsync(await PostAsync($"/v1/apps/{app}/token", new { refresh_token = Str(tokens, "refresh_token") }),
            HttpStatusCode.Unauthorized, "session_revoked");
    }

    [Fact]
    public async Task A_user_lists_their_sessions_with_devices_and_ends_one()
    {
        var app = await CreateAppAsync();
        var email = NewEmail("ann");
        var onPixel = await SignUpAsync(app, email, device: Pixel);
        var onIPhone = await OkJsonAsync(await PostAsync($"/v1/apps/{app}/login", new { handle = email, password = GoodPassword, device = IPhone }));

        var listed = await OkJsonArrayAsync(await GetAsync($"/v1/apps/{app}/me/sessions", Str(onPixel, "access_token")));

        Assert.Equal(2, listed.Count);
        var current = Assert.Single(listed, s => s!["current"]!.GetValue<bool>());
        Assert.Equal("Ann's Pixel", Str(current!["device"], "name"));
        var other = Assert.Single(listed, s => !s!["current"]!.GetValue<bool>());
        Assert.Equal("Ann's iPhone", Str(other!["device"], "name"));
        Assert.Equal("en-GB", Str(other["device"]!["language"], "id"));

        var revoke = await DeleteAsync($"/v1/apps/{app}/me/sessions/{Str(other, "id")}", Str(onPixel, "access_token"));
        Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        await AssertProblemAsync(await GetAsync($"/v1/apps/{app}/me", Str(onIPhone, "access_token")), HttpStatusCode.Unauthorized, "session_revoked");
        await OkJsonAsync(await GetAsync($"/v1/apps/{app}/me", Str(onPixel, "access_token")));
    }

    [Fact]
    public async Task Ending_all_sessions_signs_out_every_device()
    {
        var app = await CreateAppAsync();
        var email = NewEmail("all");
        var one = await SignUpAsync(app, email);
        var two = await OkJsonAsync(await PostAsync($"/v1/apps/{app}/login", new { handle = email, password = GoodPassword }));

        Assert.Equal(HttpStatusCode.NoContent, (await DeleteAsync($"/v1/apps/{app}/me/sessions", Str(one, "access_token"))).StatusCode);

        await AssertProblemAsync(await GetAsync($"/v1/apps/{app}/me", Str(one, "access_token")), HttpStatusCode.Unauthorized, "session_revoked");
        await AssertProblemAsync(await PostAsync($"/v1/apps/{app}/token", new { refresh_token = Str(two, "refresh_token") }),
            HttpStatusCode.Unauthorized, "session_revoked");
    }

    [Fact]
    public async Task A_user_cannot_end_someone_elses_session()
    {
        var app = await CreateAppAsync();
        var ann = await SignUpAsync(app);
        var bob = await SignUpAsync(app);
        var bobSessions = await OkJsonArrayAsync(await GetAsync($"/v1/apps/{app}/me/sessions", Str(bob, "access_token")));

        var attempt = await DeleteAsync($"/v1/apps/{app}/me/sessions/{Str(bobSessions[0], "id")}", Str(ann, "access_token"));

        await AssertProblemAsync(attempt, HttpStatusCode.NotFound, "not_found");
        await OkJsonAsync(await GetAsync($"/v1/apps/{app}/me", Str(bob, "access_token")));
    }
}

[Collection(SqliteCollection.Name)]
public sealed class SessionTests_Sqlite(SqliteServer server) : SessionTests(server);

[Collection(PostgresCollection.Name)]
public sealed class SessionTests_Postgres(PostgresServer server) : SessionTests(server);
