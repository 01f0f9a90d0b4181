using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.Tokens;

/// <summary>
/// T3: every app's key is replaced on a schedule (90 days by default) by whichever node gets there
/// first, and a node that was down catches up when it starts. These tests run their own servers,
/// so that moving the clock by months does not touch the shared ones.
/// </summary>
public abstract class ScheduledKeyRotationTests(string provider)
{
    private static readonly TimeSpan Period = TimeSpan.FromDays(90);
    private static readonly TimeSpan PublishDelay = TimeSpan.FromMinutes(10);
    private CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Keys_rotate_on_schedule_once_although_two_nodes_watch_them()
    {
        await using var one = new LatchkeyFactory(TestDatabase.Create(provider));
        await using var two = one.Sibling(new Dictionary<string, string?>());
        using var client = one.CreateClient();
        _ = two.Server;
        var app = await CreateAppAsync(client);
        var email = $"sched.{Guid.NewGuid():N}@example.com";
        var oldKid = KeyRotationTests.Kid(await SignUpAsync(client, app, email));

        one.Clock.Advance(Period - TimeSpan.FromMinutes(1));
        await Task.Delay(300, Ct);
        Assert.Single(await KeysAsync(client, app));

        one.Clock.Advance(TimeSpan.FromHours(1));
        var keys = await WaitForKeysAsync(client, app, 2);
        // Give the slower node time to (not) add a third key.
        await Task.Delay(500, Ct);
        keys = await KeysAsync(client, app);
        Assert.Equal(2, keys.Count);
        Assert.Equal(["next", "active"], keys.Select(k => k!["state"]!.GetValue<string>()));
        Assert.Equal(oldKid, keys[1]!["kid"]!.GetValue<string>());

        one.Clock.Advance(PublishDelay);
        Assert.Equal(keys[0]!["kid"]!.GetValue<string>(), KeyRotationTests.Kid(await LoginAsync(client, app, email)));
    }

    [Fact]
    public async Task A_node_that_was_down_for_two_periods_rotates_once_when_it_starts()
    {
        var database = TestDatabase.Create(provider);
        string app;
        Microsoft.Extensions.Time.Testing.FakeTimeProvider clock;
        await using (var before = new LatchkeyFactory(database))
        {
            using var client = before.CreateClient();
            app = await CreateAppAsync(client);
            clock = before.Clock;
        }

        clock.Advance(Period * 2 + TimeSpan.FromDays(3));
        await using var after = new LatchkeyFactory(database, null, clock);
        using var restarted = after.CreateClient();

        var keys = await WaitForKeysAsync(restarted, app, 2);
        await Task.Delay(300, Ct);
        Assert.Equal(2, (await KeysAsync(restarted, app)).Count);
        Assert.Equal("next", keys[0]!["state"]!.GetValue<string>());
    }

    private async Task<JsonArray> WaitForKeysAsync(HttpClient client, string app, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var keys = await KeysAsync(client, app);
            if (keys.Count >= count)
            {
                return keys;
            }
            Assert.True(DateTime.UtcNow < deadline, $"The app still has {keys.Count} key(s): {keys.ToJsonString()}");
            await Task.Delay(100, Ct);
        }
    }

    private async Task<JsonArray> KeysAsync(HttpClient client, string app)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/admin/apps/{app}/keys");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await AdminTokenAsync(client));
        return JsonNode.Parse(await Ok(await client.SendAsync(request, Ct)))!.AsArray();
    }

    private async Task<string> AdminTokenAsync(HttpClient client) =>
        await LoginAsync(client, "console", LatchkeyFactory.AdminEmail, LatchkeyFactory.AdminPassword);

    private async Task<string> CreateAppAsync(HttpClient client)
    {
        var id = "s-" + Guid.NewGuid().ToString("N")[..10];
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/admin/apps")
        {
            Content = JsonContent.Create(new { id, name = "Scheduled " + id, settings = new { accessMode = "open", signupFlow = "none" } }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await AdminTokenAsync(client));
        await Ok(await client.SendAsync(request, Ct));
        return id;
    }

    private async Task<string> SignUpAsync(HttpClient client, string app, string email) =>
        AccessToken(await Ok(await client.PostAsJsonAsync($"/v1/apps/{app}/signup", new { email, password = ApiTest.GoodPassword }, Ct)));

    private async Task<string> LoginAsync(HttpClient client, string app, string handle, string password = ApiTest.GoodPassword) =>
        AccessToken(await Ok(await client.PostAsJsonAsync($"/v1/apps/{app}/login", new { handle, password }, Ct)));

    private static string AccessToken(string json) => JsonNode.Parse(json)!["access_token"]!.GetValue<string>();

    private async Task<string> Ok(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.IsSuccessStatusCode, $"Expected success, got {(int)response.StatusCode}: {text}");
        return text;
    }
}

public sealed class ScheduledKeyRotationTests_Sqlite() : ScheduledKeyRotationTests("sqlite");

public sealed class ScheduledKeyRotationTests_Postgres() : ScheduledKeyRotationTests("postgres");
