using System.Net;
using System.Text.Json.Nodes;
using Latchkey.Server.Features.Jobs;
using Latchkey.Server.Features.Sessions;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;

namespace Latchkey.Tests.Features.Sessions;

/// <summary>
/// The session cleanup job keeps the refresh-token table from growing with every rotation and
/// deletes ended sessions after the retention period, without weakening reuse detection.
/// </summary>
public abstract class SessionCleanupTests(ServerFixture fixture) : ApiTest(fixture)
{
    private const int LifetimeSeconds = 3600;

    private Task<HttpResponseMessage> RefreshAsync(string app, string token) =>
        PostAsync($"/v1/apps/{app}/token", new { refresh_token = token });

    private async Task<JsonObject> RotateAsync(string app, JsonObject tokens) =>
        await OkJsonAsync(await RefreshAsync(app, Str(tokens, "refresh_token")));

    [Fact]
    public async Task Used_tokens_of_a_live_session_stay_until_they_expire_so_a_replay_is_still_caught()
    {
        var app = await CreateAppAsync(new { refreshTokenLifetimeSeconds = LifetimeSeconds });
        var first = await SignUpAsync(app);
        var second = await RotateAsync(app, first);
        Factory.Clock.Advance(TimeSpan.FromMinutes(40));
        var third = await RotateAsync(app, second);
        Factory.Clock.Advance(TimeSpan.FromMinutes(30));
        var fourth = await RotateAsync(app, third);
        Factory.Clock.Advance(TimeSpan.FromMinutes(5));

        await RunCleanupAsync();

        // The first two expired an hour after they were issued; the third is used but alive, the fourth is the head.
        var session = await SessionOfAsync(fourth);
        Assert.Equal(2, await TokenCountAsync(session));
        await AssertProblemAsync(await RefreshAsync(app, Str(third, "refresh_token")), HttpStatusCode.Unauthorized, "refresh_token_reused");
        await AssertProblemAsync(await RefreshAsync(app, Str(fourth, "refresh_token")), HttpStatusCode.Unauthorized, "refresh_token_reused");
    }

    [Fact]
    public async Task An_ended_session_keeps_only_its_last_token_and_goes_after_the_retention_period()
    {
        var app = await CreateAppAsync();
        var first = await SignUpAsync(app);
        var second = await RotateAsync(app, await RotateAsync(app, first));
        var session = await SessionOfAsync(second);
        Assert.Equal(HttpStatusCode.NoContent, (await PostAsync($"/v1/apps/{app}/logout", new { }, Str(second, "access_token"))).StatusCode);

        await RunCleanupAsync();

        Assert.Equal(1, await TokenCountAsync(session));
        // Within the retention period the last token still says why it stopped working.
        await AssertProblemAsync(await RefreshAsync(app, Str(second, "refresh_token")), HttpStatusCode.Unauthorized, "session_revoked");

        Factory.Clock.Advance(TimeSpan.FromDays(29));
        await RunCleanupAsync();
        Assert.True(await SessionExistsAsync(session));

        Factory.Clock.Advance(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(1));
        await RunCleanupAsync();
        Assert.False(await SessionExistsAsync(session));
        Assert.Equal(0, await TokenCountAsync(session));
        await AssertProblemAsync(await RefreshAsync(app, Str(second, "refresh_token")), HttpStatusCode.Unauthorized, "refresh_token_invalid");
    }

    [Fact]
    public async Task An_expired_session_loses_its_used_tokens_and_then_itself()
    {
        var app = await CreateAppAsync(new { refreshTokenLifetimeSeconds = LifetimeSeconds });
        var last = await RotateAsync(app, await RotateAsync(app, await SignUpAsync(app)));
        var session = await SessionOfAsync(last);
        Factory.Clock.Advance(TimeSpan.FromSeconds(LifetimeSeconds + 1));

        await RunCleanupAsync();
        Assert.Equal(1, await TokenCountAsync(session));
        var problem = await AssertProblemAsync(await RefreshAsync(app, Str(last, "refresh_token")), HttpStatusCode.Unauthorized, "refresh_token_invalid");
        Assert.Contains("expired", Str(problem, "detail"));

        Factory.Clock.Advance(TimeSpan.FromDays(30));
        await RunCleanupAsync();
        Assert.False(await SessionExistsAsync(session));
    }

    [Fact]
    public async Task The_session_row_tells_when_it_was_last_seen_and_when_it_expires()
    {
        var app = await CreateAppAsync(new { refreshTokenLifetimeSeconds = LifetimeSeconds });
        var tokens = await SignUpAsync(app);
        Factory.Clock.Advance(TimeSpan.FromMinutes(20));
        var refreshedAt = Factory.Clock.GetUtcNow();
        tokens = await RotateAsync(app, tokens);
        Factory.Clock.Advance(TimeSpan.FromMinutes(5));

        var listed = Assert.Single(await OkJsonArrayAsync(await GetAsync($"/v1/apps/{app}/me/sessions", Str(tokens, "access_token"))));
        var admin = Assert.Single(await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{app}/users/{Str(tokens["user"], "id")}/sessions", await AdminTokenAsync())));

        foreach (var view in new[] { listed!, admin! })
        {
            AssertAbout(refreshedAt, Date(view, "lastSeenAt"));
            AssertAbout(refreshedAt.AddSeconds(LifetimeSeconds), Date(view, "expiresAt"));
        }
        Factory.Clock.Advance(TimeSpan.FromSeconds(LifetimeSeconds));
        Assert.Empty(await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{app}/users/{Str(tokens["user"], "id")}/sessions", await AdminTokenAsync())));
    }

    [Fact]
    public async Task The_job_runs_under_its_lease()
    {
        await using var scope = Factory.Services.CreateAsyncScope();
        var job = Factory.Services.GetServices<IHostedService>().OfType<SessionCleanupJob>().Single();

        await job.RunIfLeaseHeldAsync(Ct);

        var lease = await scope.ServiceProvider.GetRequiredService<JobLeases>().FindAsync(SessionCleanupJob.Name, Ct);
        Assert.NotNull(lease?.LastRunAt);
    }

    [Theory]
    [InlineData("Latchkey:Sessions:RetentionDays", "0", "RetentionDays")]
    [InlineData("Latchkey:Sessions:IntervalSeconds", "0", "IntervalSeconds")]
    [InlineData("Latchkey:Sessions:BatchSize", "0", "BatchSize")]
    public async Task A_bad_setting_stops_the_start_with_a_clear_message(string key, string value, string expected)
    {
        await using var node = Factory.Sibling(new Dictionary<string, string?> { [key] = value });

        var error = Record.Exception(() => node.Services);

        Assert.NotNull(error);
        Assert.Contains(expected, error.ToString());
    }

    private async Task RunCleanupAsync()
    {
        await using var scope = Factory.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<SessionCleanup>().RunOnceAsync(Ct);
    }

    private async Task<Guid> SessionOfAsync(JsonObject tokens)
    {
        var me = await OkJsonArrayAsync(await GetAsync($"/v1/apps/{Audience(tokens)}/me/sessions", Str(tokens, "access_token")));
        return Guid.Parse(Str(Assert.Single(me, s => s!["current"]!.GetValue<bool>()), "id"));
    }

    private static string Audience(JsonObject tokens) =>
        JsonNode.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(Str(tokens, "access_token").Split('.')[1]))!["aud"]!.GetValue<string>();

    private async Task<int> TokenCountAsync(Guid session)
    {
        await using var scope = Factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LatchkeyDbContext>();
        return await db.RefreshTokens.IgnoreQueryFilters().CountAsync(t => t.SessionId == session, Ct);
    }

    private async Task<bool> SessionExistsAsync(Guid session)
    {
        await using var scope = Factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LatchkeyDbContext>();
        return await db.Sessions.IgnoreQueryFilters().AnyAsync(s => s.Id == session, Ct);
    }

    private static DateTimeOffset? Date(JsonNode node, string name) =>
        node[name] is { } value ? DateTimeOffset.Parse(value.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal) : null;

    private static void AssertAbout(DateTimeOffset expected, DateTimeOffset? actual) =>
        Assert.True(actual is { } at && Math.Abs((at - expected).TotalMilliseconds) < 1, $"{actual:O} vs {expected:O}");
}

[Collection(SqliteCollection.Name)]
public sealed class SessionCleanupTests_Sqlite(SqliteServer server) : SessionCleanupTests(server);

[Collection(PostgresCollection.Name)]
public sealed class SessionCleanupTests_Postgres(PostgresServer server) : SessionCleanupTests(server);
