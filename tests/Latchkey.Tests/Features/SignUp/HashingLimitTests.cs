using System.Net;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.SignUp;

public abstract class HashingLimitTests(ServerFixture fixture) : ApiTest(fixture)
{
    [Fact]
    public async Task When_the_hashing_queue_is_full_logins_answer_429_with_retry_after()
    {
        var (app, email) = await UserAsync("busy");
        await using var narrow = OneHashingThread(new() { ["Latchkey:Passwords:MaxQueued"] = "0" });
        var client = narrow.CreateClient();

        await AssertSomeServedAndTheRestRefusedAsync(await SixLoginsAtOnceAsync(client, app, email));
    }

    [Fact]
    public async Task A_login_that_would_wait_longer_than_the_bound_for_a_hashing_thread_answers_429_at_once()
    {
        var (app, email) = await UserAsync("waiting");
        // Room in the queue, but no time: any hash that must wait behind another is refused.
        await using var impatient = OneHashingThread(new()
        {
            ["Latchkey:Passwords:MaxQueued"] = "100",
            ["Latchkey:Passwords:MaxQueueWaitMilliseconds"] = "1",
        });
        var client = impatient.CreateClient();
        // One login alone: nothing waits, and the node learns how long a hash takes (well over 1 ms).
        Assert.Equal(HttpStatusCode.OK, (await LoginAsync(client, app, email)).StatusCode);

        await AssertSomeServedAndTheRestRefusedAsync(await SixLoginsAtOnceAsync(client, app, email));
    }

    private async Task<(string App, string Email)> UserAsync(string name)
    {
        var app = await CreateAppAsync();
        var email = NewEmail(name);
        await SignUpAsync(app, email);
        return (app, email);
    }

    /// <summary>A node with one hashing thread at the default cost, so that six logins at once overlap on it.</summary>
    private LatchkeyFactory OneHashingThread(Dictionary<string, string?> settings)
    {
        settings["Latchkey:Passwords:MaxConcurrent"] = "1";
        settings["Latchkey:Passwords:MemoryKiB"] = "19456";
        settings["Latchkey:Passwords:Iterations"] = "2";
        return Factory.Sibling(settings);
    }

    private Task<HttpResponseMessage> LoginAsync(HttpClient client, string app, string email) =>
        client.PostAsJsonAsync($"/v1/apps/{app}/login", new { handle = email, password = GoodPassword }, Ct);

    private Task<HttpResponseMessage[]> SixLoginsAtOnceAsync(HttpClient client, string app, string email) =>
        Task.WhenAll(Enumerable.Range(0, 6).Select(_ => LoginAsync(client, app, email)));

    private static async Task AssertSomeServedAndTheRestRefusedAsync(HttpResponseMessage[] answers)
    {
        Assert.Contains(answers, a => a.StatusCode == HttpStatusCode.OK);
        var refused = answers.Where(a => a.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.NotEmpty(refused);
        foreach (var response in refused)
        {
            await AssertProblemAsync(response, HttpStatusCode.TooManyRequests, "rate_limited");
            Assert.True(response.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        }
    }
}

[Collection(SqliteCollection.Name)]
public sealed class HashingLimitTests_Sqlite(SqliteServer server) : HashingLimitTests(server);

[Collection(PostgresCollection.Name)]
public sealed class HashingLimitTests_Postgres(PostgresServer server) : HashingLimitTests(server);
