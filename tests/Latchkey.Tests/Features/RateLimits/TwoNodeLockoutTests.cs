using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.RateLimits;

/// <summary>
/// Two server processes on one PostgreSQL, with the real clock: failures spread over both nodes
/// lock an account exactly as the same failures on one node do, because the counters live in the
/// database (S5). The policy is made small (3 free failures, then 4 s) so that the test is quick.
/// </summary>
public sealed class TwoNodeLockoutTests
{
    private const int FreeFailures = 3;
    private const int LockSeconds = 4;
    private const string Wrong = "not the password at all";

    private static readonly Dictionary<string, string> SmallPolicy = new()
    {
        ["Latchkey__RateLimits__FreeFailures"] = FreeFailures.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Latchkey__RateLimits__FirstDelaySeconds"] = LockSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Latchkey__RateLimits__MaxDelaySeconds"] = LockSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Latchkey__RateLimits__AddressFailures"] = "40",
    };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Failures_spread_over_two_nodes_lock_an_account_as_on_one_node()
    {
        var database = TestDatabase.Create("postgres");
        await using var nodeA = await ServerProcess.StartAsync(database, Ct, SmallPolicy);
        await using var nodeB = await ServerProcess.StartAsync(database, Ct, SmallPolicy);
        using var a = nodeA.CreateClient();
        using var b = nodeB.CreateClient();
        await CreateAppAsync(a, "locks");
        var spread = await SignUpAsync(b, "locks", "spread@example.com");
        var single = await SignUpAsync(a, "locks", "single@example.com");
        var almost = await SignUpAsync(a, "locks", "almost@example.com");

        // N-1 failures, spread: the owner still gets in on either node.
        await FailAsync(a, "locks", almost);
        await FailAsync(b, "locks", almost);
        await OkAsync(await LoginAsync(a, "locks", almost, ApiTest.GoodPassword));

        // N failures spread over both nodes lock the account on both, as N on one node do.
        await FailAsync(a, "locks", spread);
        await FailAsync(b, "locks", spread);
        await FailAsync(a, "locks", spread);
        await AssertLockedOnBothAsync([a, b], spread, ApiTest.GoodPassword);
        for (var i = 0; i < FreeFailures; i++)
        {
            await FailAsync(a, "locks", single);
        }
        await AssertLockedOnBothAsync([a, b], single, ApiTest.GoodPassword);
        // An unknown account, spread over both nodes, is locked the same way: no enumeration.
        await FailAsync(b, "locks", "nobody@example.com");
        await FailAsync(a, "locks", "nobody@example.com");
        await FailAsync(b, "locks", "nobody@example.com");
        await AssertLockedOnBothAsync([a, b], "nobody@example.com", Wrong);

        // The lock is a backoff, not a ban: after it the owners get in, on either node.
        await Task.Delay(TimeSpan.FromSeconds(LockSeconds + 0.2), Ct);
        await OkAsync(await LoginAsync(b, "locks", spread, ApiTest.GoodPassword));
        await OkAsync(await LoginAsync(a, "locks", single, ApiTest.GoodPassword));
    }

    private static async Task AssertLockedOnBothAsync(HttpClient[] nodes, string handle, string password)
    {
        foreach (var node in nodes)
        {
            Assert.InRange(await AssertRateLimitedAsync(await LoginAsync(node, "locks", handle, password)), 1, LockSeconds);
        }
    }

    [Fact]
    public async Task A_password_spray_spread_over_two_nodes_spends_one_address_budget()
    {
        var database = TestDatabase.Create("postgres");
        await using var nodeA = await ServerProcess.StartAsync(database, Ct, SmallPolicy);
        await using var nodeB = await ServerProcess.StartAsync(database, Ct, SmallPolicy);
        using var a = nodeA.CreateClient();
        using var b = nodeB.CreateClient();
        await CreateAppAsync(a, "spray");
        var owner = await SignUpAsync(b, "spray", "owner@example.com");

        // 40 guesses, each at another account, half on each node and in parallel.
        var guesses = await Task.WhenAll(Enumerable.Range(0, 40).Select(i =>
            LoginAsync(i % 2 == 0 ? a : b, "spray", $"guess{i}@example.com", Wrong)));
        Assert.All(guesses, g => Assert.Equal(HttpStatusCode.Unauthorized, g.StatusCode));

        await AssertRateLimitedAsync(await LoginAsync(a, "spray", owner, ApiTest.GoodPassword));
        await AssertRateLimitedAsync(await LoginAsync(b, "spray", owner, ApiTest.GoodPassword));
    }

    private static async Task CreateAppAsync(HttpClient client, string id)
    {
        var admin = await JsonAsync(await LoginAsync(client, "console", LatchkeyFactory.AdminEmail, LatchkeyFactory.AdminPassword));
        using var create = new HttpRequestMessage(HttpMethod.Post, "/v1/admin/apps")
        {
            Content = JsonContent.Create(new { id, name = id, settings = new { accessMode = "open", signupFlow = "none" } }),
        };
        create.Headers.Authorization = new AuthenticationHeaderValue("Bearer", admin["access_token"]!.GetValue<string>());
        (await client.SendAsync(create, Ct)).EnsureSuccessStatusCode();
    }

    private static async Task<string> SignUpAsync(HttpClient client, string app, string email)
    {
        await JsonAsync(await client.PostAsJsonAsync($"/v1/apps/{app}/signup", new { email, password = ApiTest.GoodPassword }, Ct));
        return email;
    }

    private static Task<HttpResponseMessage> LoginAsync(HttpClient client, string app, string handle, string password) =>
        client.PostAsJsonAsync($"/v1/apps/{app}/login", new { handle, password }, Ct);

    private static async Task FailAsync(HttpClient client, string app, string handle)
    {
        var response = await LoginAsync(client, app, handle, Wrong);
        Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"Expected 401, got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(Ct)}");
    }

    private static async Task OkAsync(HttpResponseMessage response) => await JsonAsync(response);

    private static async Task<int> AssertRateLimitedAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.TooManyRequests, $"Expected 429, got {(int)response.StatusCode}: {text}");
        Assert.Equal("rate_limited", JsonNode.Parse(text)!["code"]!.GetValue<string>());
        var delay = response.Headers.RetryAfter?.Delta;
        Assert.NotNull(delay);
        return (int)delay.Value.TotalSeconds;
    }

    private static async Task<JsonObject> JsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!.AsObject();
    }
}
