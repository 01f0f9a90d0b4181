using System.Net;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.RateLimits;

/// <summary>
/// S5 per account, with the default policy: five free failures, then a wait that doubles (1 s,
/// 2 s, 4 s … up to 15 min), and an hour's lock at 100 failures in a row. The server's clock is
/// moved instead of waiting.
/// </summary>
public abstract class LockoutTests(ServerFixture fixture) : RateLimitTest(fixture)
{
    [Fact]
    public async Task After_five_wrong_passwords_even_the_right_one_waits_until_the_backoff_is_over()
    {
        var app = await CreateAppAsync();
        var email = NewEmail("target");
        await SignUpAsync(app, email);
        await WrongPasswordsAsync(app, email, 5);

        var locked = await LoginAsync(app, email);

        await AssertRateLimitedAsync(locked, 1);
        Factory.Clock.Advance(TimeSpan.FromSeconds(1));
        await LoginOkAsync(app, email);
    }

    [Fact]
    public async Task The_wait_doubles_with_each_further_failure_and_a_success_ends_it()
    {
        var app = await CreateAppAsync();
        var email = NewEmail("doubling");
        await SignUpAsync(app, email);
        await WrongPasswordsAsync(app, email, 5);

        foreach (var expected in new[] { 1, 2, 4, 8, 16 })
        {
            await AssertRateLimitedAsync(await LoginAsync(app, email, WrongPassword), expected);
            await AssertRateLimitedAsync(await LoginAsync(app, email), expected);
            Factory.Clock.Advance(TimeSpan.FromSeconds(expected - 0.5));
            await AssertRateLimitedAsync(await LoginAsync(app, email), 1);
            Factory.Clock.Advance(TimeSpan.FromSeconds(0.5));
            await WrongPasswordsAsync(app, email, 1);
        }
        await AssertRateLimitedAsync(await LoginAsync(app, email), 32);
        Factory.Clock.Advance(TimeSpan.FromSeconds(32));
        await LoginOkAsync(app, email);

        // The success reset the count: five failures are free again.
        await WrongPasswordsAsync(app, email, 5);
        await AssertRateLimitedAsync(await LoginAsync(app, email), 1);
    }

    [Fact]
    public async Task A_success_before_the_fifth_failure_keeps_the_account_free()
    {
        var app = await CreateAppAsync();
        var email = NewEmail("typo");
        await SignUpAsync(app, email);

        for (var round = 0; round < 3; round++)
        {
            await WrongPasswordsAsync(app, email, 4);
            await LoginOkAsync(app, email);
        }
    }

    [Fact]
    public async Task Known_and_unknown_accounts_answer_byte_for_byte_alike_while_locked()
    {
        var app = await CreateAppAsync();
        var known = NewEmail("known");
        var unknown = NewEmail("unknown");
        await SignUpAsync(app, known);
        await WrongPasswordsAsync(app, known, 5);
        await WrongPasswordsAsync(app, unknown, 5);

        var forKnown = await LoginAsync(app, known, WrongPassword);
        var forUnknown = await LoginAsync(app, unknown, WrongPassword);

        await AssertRateLimitedAsync(forKnown, 1);
        Assert.Equal(forKnown.StatusCode, forUnknown.StatusCode);
        Assert.Equal(forKnown.Headers.RetryAfter?.ToString(), forUnknown.Headers.RetryAfter?.ToString());
        Assert.Equal(forKnown.Content.Headers.ContentType?.ToString(), forUnknown.Content.Headers.ContentType?.ToString());
        Assert.Equal(await forKnown.Content.ReadAsByteArrayAsync(Ct), await forUnknown.Content.ReadAsByteArrayAsync(Ct));
    }

    [Fact]
    public async Task Every_spelling_of_a_handle_shares_one_counter_and_other_accounts_are_untouched()
    {
        var app = await CreateAppAsync();
        var email = NewEmail("Spelled");
        var other = NewEmail("bystander");
        await SignUpAsync(app, email);
        await SignUpAsync(app, other);

        await WrongPasswordsAsync(app, email.ToUpperInvariant(), 3);
        await WrongPasswordsAsync(app, "  " + email + " ", 2);

        await AssertRateLimitedAsync(await LoginAsync(app, email.ToLowerInvariant()), 1);
        await LoginOkAsync(app, other);
    }

    [Fact]
    public async Task At_100_failures_in_a_row_the_account_locks_for_an_hour_and_then_lets_its_owner_in()
    {
        var app = await CreateAppAsync();
        var email = NewEmail("patient");
        await SignUpAsync(app, email);

        var failures = 0;
        var longestWait = 0;
        while (failures < 100)
        {
            var response = await LoginAsync(app, email, WrongPassword);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                var wait = await AssertRateLimitedAsync(response);
                longestWait = Math.Max(longestWait, wait);
                Factory.Clock.Advance(TimeSpan.FromSeconds(wait));
                continue;
            }
            await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "invalid_credentials");
            failures++;
        }
        Assert.Equal(900, longestWait);

        await AssertRateLimitedAsync(await LoginAsync(app, email), 3600);
        Factory.Clock.Advance(TimeSpan.FromSeconds(3599));
        await AssertRateLimitedAsync(await LoginAsync(app, email), 1);
        Factory.Clock.Advance(TimeSpan.FromSeconds(1));

        // Past 100, every further failure locks for another hour: one guess an hour at most.
        await WrongPasswordsAsync(app, email, 1);
        await AssertRateLimitedAsync(await LoginAsync(app, email), 3600);
        Factory.Clock.Advance(TimeSpan.FromHours(1));
        await LoginOkAsync(app, email);
        await WrongPasswordsAsync(app, email, 5);
    }
}

[Collection(SqliteCollection.Name)]
public sealed class LockoutTests_Sqlite(SqliteServer server) : LockoutTests(server);

[Collection(PostgresCollection.Name)]
public sealed class LockoutTests_Postgres(PostgresServer server) : LockoutTests(server);
