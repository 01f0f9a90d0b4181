using System.Net;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.Sessions;

public abstract class RefreshRotationTests(ServerFixture fixture) : ApiTest(fixture)
{
    private Task<HttpResponseMessage> RefreshAsync(string app, string token) =>
        PostAsync($"/v1/apps/{app}/token", new { refresh_token = token });

    [Fact]
    public async Task Refreshing_rotates_the_refresh_token_and_answers_a_new_access_token()
    {
        var app = await CreateAppAsync();
        var first = await SignUpAsync(app);

        var second = await OkJsonAsync(await RefreshAsync(app, Str(first, "refresh_token")));
        var third = await OkJsonAsync(await RefreshAsync(app, Str(second, "refresh_token")));

        Assert.NotEqual(Str(first, "refresh_token"), Str(second, "refresh_token"));
        Assert.NotEqual(Str(second, "refresh_token"), Str(third, "refresh_token"));
        Assert.NotEqual(Str(first, "access_token"), Str(second, "access_token"));
        Assert.Equal(Str(first["user"], "id"), Str(third["user"], "id"));
        await OkJsonAsync(await GetAsync($"/v1/apps/{app}/me", Str(third, "access_token")));
    }

    [Fact]
    public async Task A_retry_within_the_reuse_interval_answers_the_same_new_refresh_token()
    {
        var app = await CreateAppAsync();
        var first = await SignUpAsync(app);

        var answer = await OkJsonAsync(await RefreshAsync(app, Str(first, "refresh_token")));
        Factory.Clock.Advance(TimeSpan.FromSeconds(5));
        var retry = await OkJsonAsync(await RefreshAsync(app, Str(first, "refresh_token")));

        Assert.Equal(Str(answer, "refresh_token"), Str(retry, "refresh_token"));
        // The session is still fine: the successor works.
        await OkJsonAsync(await RefreshAsync(app, Str(retry, "refresh_token")));
    }

    [Fact]
    public async Task Concurrent_requests_with_one_refresh_token_all_get_the_same_successor()
    {
        var app = await CreateAppAsync();
        var first = await SignUpAsync(app);

        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => RefreshAsync(app, Str(first, "refresh_token"))));

        var bodies = await Task.WhenAll(answers.Select(OkJsonAsync));
        Assert.Single(bodies.Select(b => Str(b, "refresh_token")).Distinct());
        await OkJsonAsync(await RefreshAsync(app, Str(bodies[0], "refresh_token")));
    }

    [Fact]
    public async Task Replaying_a_token_after_its_successor_was_used_revokes_the_whole_session()
    {
        var app = await CreateAppAsync();
        var first = await SignUpAsync(app);
        var second = await OkJsonAsync(await RefreshAsync(app, Str(first, "refresh_token")));
        var third = await OkJsonAsync(await RefreshAsync(app, Str(second, "refresh_token")));

        await AssertProblemAsync(await RefreshAsync(app, Str(first, "refresh_token")), HttpStatusCode.Unauthorized, "refresh_token_reused");

        // Every token of the family is dead now, and so is the access token's session.
        await AssertProblemAsync(await RefreshAsync(app, Str(third, "refresh_token")), HttpStatusCode.Unauthorized, "refresh_token_reused");
        await AssertProblemAsync(await GetAsync($"/v1/apps/{app}/me", Str(third, "access_token")), HttpStatusCode.Unauthorized, "session_revoked");
    }

    [Fact]
    public async Task Replaying_a_token_after_the_reuse_interval_revokes_the_session()
    {
        var app = await CreateAppAsync(new { refreshReuseIntervalSeconds = 10 });
        var first = await SignUpAsync(app);
        var second = await OkJsonAsync(await RefreshAsync(app, Str(first, "refresh_token")));

        Factory.Clock.Advance(TimeSpan.FromSeconds(11));

        await AssertProblemAsync(await RefreshAsync(app, Str(first, "refresh_token")), HttpStatusCode.Unauthorized, "refresh_token_reused");
        await AssertProblemAsync(await RefreshAsync(app, Str(second, "refresh_token")), HttpStatusCode.Unauthorized, "refresh_token_reused");
    }

    [Fact]
    public async Task With_a_zero_reuse_interval_any_replay_revokes()
    {
        var app = await CreateAppAsync(new { refreshReuseIntervalSeconds = 0 });
        var first = await SignUpAsync(app);
        await OkJsonAsync(await RefreshAsync(app, Str(first, "refresh_token")));
        Factory.Clock.Advance(TimeSpan.FromMilliseconds(5));

        await AssertProblemAsync(await RefreshAsync(app, Str(first, "refresh_token")), HttpStatusCode.Unauthorized, "refresh_token_reused");
    }

    [Fact]
    public async Task An_expired_refresh_token_asks_the_user_to_sign_in_again()
    {
        var app = await CreateAppAsync(new { refreshTokenLifetimeSeconds = 3600 });
        var first = await SignUpAsync(app);

        Factory.Clock.Advance(TimeSpan.FromSeconds(3601));

        var problem = await AssertProblemAsync(await RefreshAsync(app, Str(first, "refresh_token")), HttpStatusCode.Unauthorized, "refresh_token_invalid");
        Assert.Contains("expired", problem["detail"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("")]
    [InlineData("not-a-token")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public async Task Unknown_refresh_tokens_are_refused(string token)
    {
        var app = await CreateAppAsync();
        var response = await RefreshAsync(app, token);
        if (token.Length == 0)
        {
            await AssertProblemAsync(response, HttpStatusCode.BadRequest, "invalid_request");
        }
        else
        {
            await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "refresh_token_invalid");
        }
    }
}

[Collection(SqliteCollection.Name)]
public sealed class RefreshRotationTests_Sqlite(SqliteServer server) : RefreshRotationTests(server);

[Collection(PostgresCollection.Name)]
public sealed class RefreshRotationTests_Postgres(PostgresServer server) : RefreshRotationTests(server);
