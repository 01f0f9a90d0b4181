using System.Net;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.SignUp;

public abstract class HashingLimitTests(ServerFixture fixture) : ApiTest(fixture)
{
    [Fact]
    public async Task When_the_hashing_queue_is_full_logins_answer_429_with_retry_after()
    {
        var app = await CreateAppAsync();
        var email = NewEmail("busy");
        await SignUpAsync(app, email);
        await using var narrow = Factory.Sibling(new Dictionary<string, string?>
        {
            ["Latchkey:Passwords:MaxConcurrent"] = "1",
            ["Latchkey:Passwords:MaxQueued"] = "0",
            // The default cost, so that six logins at once overlap on the one slot.
            ["Latchkey:Passwords:MemoryKiB"] = "19456",
            ["Latchkey:Passwords:Iterations"] = "2",
        });
        var client = narrow.CreateClient();

        var answers = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ =>
            client.PostAsJsonAsync($"/v1/apps/{app}/login", new { handle = email, password = GoodPassword }, Ct)));

        Assert.Contains(answers, a => a.StatusCode == HttpStatusCode.OK);
        var refused = answers.Where(a => a.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.NotEmpty(refused);
        foreach (var response in refused)
        {
            await AssertProblemAsync(response, HttpStatusCode.TooManyRequests, "rate_limited");
            Assert.True(response.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        }
    }

    [Fact]
    public async Task A_login_that_would_wait_longer_than_the_bound_for_a_hashing_thread_answers_429_at_once()
    {
        var app = await CreateAppAsync();
        var email = NewEmail("waiting");
        await SignUpAsync(app, email);
        await using var impatient = Factory.Sibling(new Dictionary<string, string?>
        {
            ["Latchkey:Passwords:MaxConcurrent"] = "1",
            // Room in the queue, but no time: any hash that must wait behind another is refused.
            ["Latchkey:Passwords:MaxQueued"] = "100",
            ["Latchkey:Passwords:MaxQueueWaitMilliseconds"] = "1",
            ["Latchkey:Passwords:MemoryKiB"] = "19456",
            ["Latchkey:Passwords:Iterations"] = "2",
        });
        var client = impatient.CreateClient();
        // One login alone: nothing waits, and the node learns how long a hash takes (well over 1 ms).
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync($"/v1/apps/{app}/login", new { handle = email, password = GoodPassword }, Ct)).StatusCode);

        var answers = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ =>
            client.PostAsJsonAsync($"/v1/apps/{app}/login", new { handle = email, password = GoodPassword }, Ct)));

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
