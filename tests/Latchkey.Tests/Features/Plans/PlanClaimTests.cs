using System.Text.Json.Nodes;
using System.Net.Http.Headers;
using System.Text;
using Latchkey.Server.Features.Plans;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Tests.Features.Plans;

/// <summary>U4: the plan is a claim in the token, and every surface shows the plan the user has now.</summary>
public abstract class PlanClaimTests(ServerFixture fixture) : PlanTest(fixture)
{
    [Fact]
    public async Task Tokens_and_views_carry_the_plan_and_when_it_ends()
    {
        var app = await CreateAppAsync();
        var email = NewEmail("claims");
        var tokens = await SignUpAsync(app, email);
        var userId = UserId(tokens);
        Assert.Equal("free", Str(Claims(Access(tokens)), "plan"));
        Assert.Null(Claims(Access(tokens))["plan_exp"]);
        var end = ToTheSecond(Now.AddDays(3));

        await SetPlanAsync(app, userId, new { plan = "trial", planExpiresAt = end });
        var trial = await OkJsonAsync(await RefreshAsync(app, Refresh(tokens)));

        var claims = Claims(Access(trial));
        Assert.Equal("trial", Str(claims, "plan"));
        Assert.Equal(end.ToUnixTimeSeconds(), claims["plan_exp"]!.GetValue<long>());
        Assert.Equal("trial", Str(trial["user"], "plan"));
        Assert.Equal(end, Date(trial["user"], "planExpiresAt"));
        var me = await MeAsync(app, Access(trial));
        Assert.Equal("trial", Str(me, "plan"));
        Assert.Equal(end, Date(me, "planExpiresAt"));
        var viewed = await OkJsonAsync(await GetAsync($"/v1/admin/apps/{app}/users/{userId}", await AdminTokenAsync()));
        Assert.Equal("trial", Str(viewed, "plan"));
        Assert.Equal(end, Date(viewed, "planExpiresAt"));
        var key = await OkJsonAsync(await PostAsync($"/v1/admin/apps/{app}/server-keys", new { name = "backend" }, await AdminTokenAsync()));
        var introspected = await IntrospectAsync(app, key, Access(trial));
        Assert.Equal("trial", Str(introspected, "plan"));
        Assert.Equal(end.ToUnixTimeSeconds(), introspected["plan_exp"]!.GetValue<long>());

        await SetPlanAsync(app, userId, new { plan = "paid", planExpiresAt = (DateTimeOffset?)null });
        var paid = await OkJsonAsync(await RefreshAsync(app, Refresh(trial)));
        Assert.Equal("paid", Str(Claims(Access(paid)), "plan"));
        Assert.Null(Claims(Access(paid))["plan_exp"]);
        Assert.Null(paid["user"]!["planExpiresAt"]);
    }

    [Fact]
    public async Task A_trial_past_its_end_shows_as_free_before_the_job_has_run()
    {
        var app = await CreateAppAsync();
        var tokens = await SignUpAsync(app);
        var userId = UserId(tokens);
        var key = await OkJsonAsync(await PostAsync($"/v1/admin/apps/{app}/server-keys", new { name = "backend" }, await AdminTokenAsync()));
        await SetPlanAsync(app, userId, new { plan = "trial", planExpiresAt = Now.AddHours(1) });
        // The end has passed and no run of the job has seen it yet (the clock does not move here,
        // so the node's timer does not fire): the stored plan still says trial.
        await EndStoredPlanAsync(userId, Now.AddMinutes(-1));

        var refreshed = await OkJsonAsync(await RefreshAsync(app, Refresh(tokens)));

        Assert.Equal("free", Str(Claims(Access(refreshed)), "plan"));
        Assert.Null(Claims(Access(refreshed))["plan_exp"]);
        Assert.Equal("free", Str(refreshed["user"], "plan"));
        Assert.Null(refreshed["user"]!["planExpiresAt"]);
        Assert.Equal("free", Str(await MeAsync(app, Access(refreshed)), "plan"));
        Assert.Equal("free", Str(await OkJsonAsync(await GetAsync($"/v1/admin/apps/{app}/users/{userId}", await AdminTokenAsync())), "plan"));
        var introspected = await IntrospectAsync(app, key, Access(refreshed));
        Assert.Equal("free", Str(introspected, "plan"));
        Assert.Null(introspected["plan_exp"]);
        Assert.Equal("trial", (await StoredPlanAsync(userId)).Plan);

        await RunJobAsync(Factory, Ct);
        Assert.Equal("free", (await StoredPlanAsync(userId)).Plan);
        Assert.Single(await AuditAsync(userId, PlanExpiry.TrialEnded));
    }

    /// <summary>RFC 7662 introspection with an app server key; asserts the token is active.</summary>
    private async Task<JsonObject> IntrospectAsync(string app, JsonObject serverKey, string token)
    {
        using var introspect = new HttpRequestMessage(HttpMethod.Post, $"/v1/apps/{app}/oauth/introspect")
        {
            Content = new FormUrlEncodedContent([KeyValuePair.Create("token", token)]),
        };
        introspect.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Str(serverKey, "id")}:{Str(serverKey, "secret")}")));
        var introspected = await OkJsonAsync(await Client.SendAsync(introspect, Ct));
        Assert.True(introspected["active"]!.GetValue<bool>());
        return introspected;
    }

    private async Task EndStoredPlanAsync(string userId, DateTimeOffset at)
    {
        await using var scope = Factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LatchkeyDbContext>();
        var id = Guid.Parse(userId);
        var end = at.UtcDateTime;
        Assert.Equal(1, await db.Users.IgnoreQueryFilters().Where(u => u.Id == id).ExecuteUpdateAsync(u => u.SetProperty(x => x.PlanExpiresAt, end), Ct));
    }
}

[Collection(SqliteCollection.Name)]
public sealed class PlanClaimTests_Sqlite(SqliteServer server) : PlanClaimTests(server);

[Collection(PostgresCollection.Name)]
public sealed class PlanClaimTests_Postgres(PostgresServer server) : PlanClaimTests(server);
