using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.Sessions;

/// <summary>
/// A logout or revoke that lands while a refresh is under way wins: the refresh reads the
/// session as live, the session ends, and the rotation (or the retry's answer) must then refuse,
/// because it is conditional on the session in the same statement.
/// </summary>
public abstract class RefreshRevocationRaceTests(ServerFixture fixture) : ApiTest(fixture)
{
    /// <summary>The refresh's first read: the token with its session and user.</summary>
    private static bool IsTheLookup(System.Data.Common.DbCommand command) =>
        command.CommandText.Contains("refresh_tokens", StringComparison.Ordinal)
        && command.CommandText.Contains("users", StringComparison.Ordinal);

    [Fact]
    public async Task A_logout_between_the_session_check_and_the_rotation_yields_no_tokens()
    {
        var app = await CreateAppAsync();
        var tokens = await SignUpAsync(app);
        var probe = new DatabaseProbe();
        await using var node = probe.Attach(Factory);
        using var client = node.CreateClient();
        probe.OnceAfterReading(IsTheLookup, async () =>
            Assert.Equal(HttpStatusCode.NoContent, (await PostAsync($"/v1/apps/{app}/logout", new { }, Str(tokens, "access_token"))).StatusCode));

        var refresh = await client.PostAsJsonAsync($"/v1/apps/{app}/token", new { refresh_token = Str(tokens, "refresh_token") }, Ct);

        await AssertProblemAsync(refresh, HttpStatusCode.Unauthorized, "session_revoked");
        await AssertProblemAsync(await PostAsync($"/v1/apps/{app}/token", new { refresh_token = Str(tokens, "refresh_token") }),
            HttpStatusCode.Unauthorized, "session_revoked");
    }

    [Fact]
    public async Task An_admin_revoke_before_a_retry_is_answered_yields_no_tokens()
    {
        var app = await CreateAppAsync();
        var tokens = await SignUpAsync(app);
        var userId = Str(tokens["user"], "id");
        // The first try rotated; the client did not get the answer and tries again.
        await OkJsonAsync(await PostAsync($"/v1/apps/{app}/token", new { refresh_token = Str(tokens, "refresh_token") }));
        var sessions = await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{app}/users/{userId}/sessions", await AdminTokenAsync()));
        var sessionId = Str(Assert.Single(sessions), "id");
        var probe = new DatabaseProbe();
        await using var node = probe.Attach(Factory);
        using var client = node.CreateClient();
        var admin = await AdminTokenAsync();
        probe.OnceAfterReading(IsTheLookup, async () =>
            Assert.Equal(HttpStatusCode.NoContent, (await DeleteAsync($"/v1/admin/apps/{app}/users/{userId}/sessions/{sessionId}", admin)).StatusCode));

        var retry = await client.PostAsJsonAsync($"/v1/apps/{app}/token", new { refresh_token = Str(tokens, "refresh_token") }, Ct);

        await AssertProblemAsync(retry, HttpStatusCode.Unauthorized, "session_revoked");
    }

    [Fact]
    public async Task No_refresh_succeeds_after_a_parallel_logout_returned()
    {
        var app = await CreateAppAsync();
        var probe = new DatabaseProbe();
        await using var node = probe.Attach(Factory);
        using var other = node.CreateClient();
        for (var round = 0; round < 8; round++)
        {
            var tokens = await SignUpAsync(app);
            var clock = Stopwatch.StartNew();
            long? loggedOutAt = null;
            var logout = Task.Run(async () =>
            {
                await Task.Delay(round % 4, Ct);
                var answer = await PostAsync($"/v1/apps/{app}/logout", new { }, Str(tokens, "access_token"));
                loggedOutAt = clock.ElapsedTicks;
                return answer;
            }, Ct);
            // A client's retry storm with one refresh token, on two nodes, while the user logs out.
            var refreshes = Enumerable.Range(0, 6).Select(i => Task.Run(async () =>
            {
                await Task.Delay(i % 3, Ct);
                var sentAt = clock.ElapsedTicks;
                var answer = await (i % 2 == 0 ? Client : other).PostAsJsonAsync($"/v1/apps/{app}/token", new { refresh_token = Str(tokens, "refresh_token") }, Ct);
                return (SentAt: sentAt, Status: answer.StatusCode, Body: await answer.Content.ReadAsStringAsync(Ct));
            }, Ct)).ToList();

            Assert.Equal(HttpStatusCode.NoContent, (await logout).StatusCode);
            var results = await Task.WhenAll(refreshes);

            foreach (var result in results)
            {
                if (result.SentAt > loggedOutAt)
                {
                    Assert.True(result.Status == HttpStatusCode.Unauthorized, $"A refresh sent after the logout returned answered {result.Status}: {result.Body}");
                }
                if (result.Status == HttpStatusCode.OK)
                {
                    // What a refresh answered before the logout is dead after it.
                    var fresh = JsonNode.Parse(result.Body)!;
                    await AssertProblemAsync(await GetAsync($"/v1/apps/{app}/me", Str(fresh, "access_token")), HttpStatusCode.Unauthorized, "session_revoked");
                    await AssertProblemAsync(await PostAsync($"/v1/apps/{app}/token", new { refresh_token = Str(fresh, "refresh_token") }),
                        HttpStatusCode.Unauthorized, "session_revoked");
                }
                else
                {
                    Assert.Equal(HttpStatusCode.Unauthorized, result.Status);
                }
            }
        }
    }
}

[Collection(SqliteCollection.Name)]
public sealed class RefreshRevocationRaceTests_Sqlite(SqliteServer server) : RefreshRevocationRaceTests(server);

[Collection(PostgresCollection.Name)]
public sealed class RefreshRevocationRaceTests_Postgres(PostgresServer server) : RefreshRevocationRaceTests(server);
