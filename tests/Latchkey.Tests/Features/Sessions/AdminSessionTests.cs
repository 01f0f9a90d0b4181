using System.Net;
using Latchkey.Server.Features.Sessions;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.Sessions;

/// <summary>The admin API's view of one user's sessions (what the console's user page shows and ends).</summary>
public abstract class AdminSessionTests(ServerFixture fixture) : ApiTest(fixture)
{
    [Fact]
    public async Task An_admin_lists_a_users_sessions_with_devices_and_ends_one_on_the_trail()
    {
        var app = await CreateAppAsync();
        var email = NewEmail("ann");
        var onPixel = await SignUpAsync(app, email, device: new { name = "Ann's Pixel", platform = "android" });
        var onLaptop = await OkJsonAsync(await PostAsync($"/v1/apps/{app}/login", new { handle = email, password = GoodPassword, device = new { name = "Laptop" } }));
        var userId = Str(onPixel["user"], "id");
        var admin = await AdminTokenAsync();

        var sessions = await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{app}/users/{userId}/sessions", admin));

        Assert.Equal(2, sessions.Count);
        var pixel = sessions.Single(s => s!["device"]?["name"]?.GetValue<string>() == "Ann's Pixel")!;
        Assert.Equal("android", Str(pixel["device"], "platform"));
        Assert.NotNull(pixel["expiresAt"]?.GetValue<DateTime>());

        var revoked = await DeleteAsync($"/v1/admin/apps/{app}/users/{userId}/sessions/{Str(pixel, "id")}", admin);

        Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);
        await AssertProblemAsync(await PostAsync($"/v1/apps/{app}/token", new { refresh_token = Str(onPixel, "refresh_token") }),
            HttpStatusCode.Unauthorized, "session_revoked");
        await OkJsonAsync(await PostAsync($"/v1/apps/{app}/token", new { refresh_token = Str(onLaptop, "refresh_token") }));
        Assert.Single(await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{app}/users/{userId}/sessions", admin)));
        await AssertProblemAsync(await DeleteAsync($"/v1/admin/apps/{app}/users/{userId}/sessions/{Str(pixel, "id")}", admin),
            HttpStatusCode.NotFound, "not_found");
        var trail = await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{app}/audit?targetUserId={userId}", admin));
        Assert.Contains(trail, r => Str(r, "action") == AdminSessionEndpoints.SessionRevoke);
        Assert.Contains(trail, r => Str(r, "action") == AdminSessionEndpoints.SessionsRead);
    }

    [Fact]
    public async Task A_session_of_another_user_or_app_cannot_be_ended_through_this_user()
    {
        var app = await CreateAppAsync();
        var other = await CreateAppAsync();
        var ann = await SignUpAsync(app);
        var bob = await SignUpAsync(app);
        var carol = await SignUpAsync(other);
        var admin = await AdminTokenAsync();
        var bobSession = Str((await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{app}/users/{Str(bob["user"], "id")}/sessions", admin)))[0], "id");

        await AssertProblemAsync(await DeleteAsync($"/v1/admin/apps/{app}/users/{Str(ann["user"], "id")}/sessions/{bobSession}", admin),
            HttpStatusCode.NotFound, "not_found");
        await AssertProblemAsync(await GetAsync($"/v1/admin/apps/{app}/users/{Str(carol["user"], "id")}/sessions", admin),
            HttpStatusCode.NotFound, "not_found");
        await OkJsonAsync(await PostAsync($"/v1/apps/{app}/token", new { refresh_token = Str(bob, "refresh_token") }));
    }
}

[Collection(SqliteCollection.Name)]
public sealed class AdminSessionTests_Sqlite(SqliteServer server) : AdminSessionTests(server);

[Collection(PostgresCollection.Name)]
public sealed class AdminSessionTests_Postgres(PostgresServer server) : AdminSessionTests(server);
