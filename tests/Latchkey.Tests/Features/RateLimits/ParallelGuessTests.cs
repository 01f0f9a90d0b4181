using System.Net;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.RateLimits;

/// <summary>
/// S5 against a burst: every password attempt is counted in the database before the hash is
/// compared, so parallel guesses at a fresh account, spread over two nodes (two servers on one
/// database and clock), get no more checks than the free allowance.
/// </summary>
public abstract class ParallelGuessTests(ServerFixture fixture) : RateLimitTest(fixture)
{
    private const int FreeFailures = 5;

    [Fact]
    public async Task Fifty_parallel_wrong_guesses_at_a_fresh_account_on_two_nodes_get_only_the_free_checks()
    {
        var app = await CreateAppAsync();
        var email = NewEmail("burst");
        await SignUpAsync(app, email);
        await using var nodeB = Factory.Sibling(new Dictionary<string, string?>());
        using var b = nodeB.CreateClient();

        var guesses = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => LoginOnAsync(i % 2 == 0 ? Client : b, app, email, WrongPassword)));

        // A checked guess answers invalid_credentials; every other one was refused before its hash.
        Assert.Equal(FreeFailures, guesses.Count(g => g.StatusCode == HttpStatusCode.Unauthorized));
        foreach (var refused in guesses.Where(g => g.StatusCode != HttpStatusCode.Unauthorized))
        {
            await AssertRateLimitedAsync(refused, 1);
        }

        // The burst spent the free failures: the owner waits like after five guesses in a row, then gets in.
        await AssertRateLimitedAsync(await LoginOnAsync(b, app, email, GoodPassword), 1);
        Factory.Clock.Advance(TimeSpan.FromSeconds(1));
        await OkJsonAsync(await LoginOnAsync(b, app, email, GoodPassword));

        // The right password started the count again: five free failures, on either node.
        await WrongPasswordsAsync(app, email, 3);
        await WrongPasswordsAsync(app, email, 2, b);
        await AssertRateLimitedAsync(await LoginOnAsync(Client, app, email, GoodPassword), 1);
    }

    [Fact]
    public async Task A_burst_of_right_passwords_costs_the_account_nothing()
    {
        var app = await CreateAppAsync();
        var email = NewEmail("owner");
        await SignUpAsync(app, email);
        await using var nodeB = Factory.Sibling(new Dictionary<string, string?>());
        using var b = nodeB.CreateClient();

        var logins = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => LoginOnAsync(i % 2 == 0 ? Client : b, app, email, GoodPassword)));

        Assert.All(logins, l => Assert.Equal(HttpStatusCode.OK, l.StatusCode));
        await WrongPasswordsAsync(app, email, 4);
        await OkJsonAsync(await LoginOnAsync(b, app, email, GoodPassword));
    }
}

[Collection(SqliteCollection.Name)]
public sealed class ParallelGuessTests_Sqlite(SqliteServer server) : ParallelGuessTests(server);

[Collection(PostgresCollection.Name)]
public sealed class ParallelGuessTests_Postgres(PostgresServer server) : ParallelGuessTests(server);
