using System.Net;
using System.Text;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Tests.Features.Plans;

/// <summary>U4: admins set plans and their ends through the user PATCH.</summary>
public abstract class PlanChangeTests(ServerFixture fixture) : PlanTest(fixture)
{
    [Fact]
    public async Task Each_plan_gets_its_end_and_the_audit_names_the_fields()
    {
        var app = await CreateAppAsync(new { trialDays = 14 });
        var userId = UserId(await SignUpAsync(app));

        var trial = await SetPlanAsync(app, userId, new { plan = "trial" });
        Assert.Equal("trial", Str(trial, "plan"));
        var trialEnd = ToTheSecond(Now.AddDays(14));
        Assert.Equal(trialEnd, Date(trial, "planExpiresAt"));
        Assert.Equal("plan,planExpiresAt", await LastUpdateDetailAsync(userId));

        // The same plan again keeps its end.
        Factory.Clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(trialEnd, Date(await SetPlanAsync(app, userId, new { plan = "trial" }), "planExpiresAt"));
        Assert.Equal("plan", await LastUpdateDetailAsync(userId));

        // A new paid plan has no end until one is given; the end alone changes the current plan's.
        var paid = await SetPlanAsync(app, userId, new { plan = "paid" });
        Assert.Equal("paid", Str(paid, "plan"));
        Assert.Null(paid["planExpiresAt"]);
        var paidEnd = ToTheSecond(Now.AddDays(365));
        var renewed = await SetPlanAsync(app, userId, new { planExpiresAt = paidEnd.AddMilliseconds(600) });
        Assert.Equal("paid", Str(renewed, "plan"));
        Assert.Equal(paidEnd, Date(renewed, "planExpiresAt"));
        Assert.Equal("planExpiresAt", await LastUpdateDetailAsync(userId));
        Assert.Equal(paidEnd, Date(await SetPlanAsync(app, userId, new { plan = "paid" }), "planExpiresAt"));
        Assert.Null((await SetPlanAsync(app, userId, new { planExpiresAt = (DateTimeOffset?)null }))["planExpiresAt"]);

        var free = await SetPlanAsync(app, userId, new { plan = "free" });
        Assert.Equal("free", Str(free, "plan"));
        Assert.Null(free["planExpiresAt"]);
        var stored = await StoredPlanAsync(userId);
        Assert.Equal(("free", (DateTime?)null), (stored.Plan, stored.ExpiresAt));
    }

    [Fact]
    public async Task Bad_plans_and_ends_are_refused_by_field()
    {
        var app = await CreateAppAsync();
        var userId = UserId(await SignUpAsync(app));
        var future = Now.AddDays(3);

        await AssertInvalidAsync(await PatchPlanAsync(app, userId, new { plan = "gold" }), "plan");
        await AssertInvalidAsync(await PatchPlanAsync(app, userId, new { plan = "trial", planExpiresAt = Now.AddSeconds(-1) }), "planExpiresAt");
        await AssertInvalidAsync(await PatchPlanAsync(app, userId, new { plan = "paid", planExpiresAt = Now }), "planExpiresAt");
        await AssertInvalidAsync(await PatchPlanAsync(app, userId, new { plan = "free", planExpiresAt = future }), "planExpiresAt");
        await AssertInvalidAsync(await PatchPlanAsync(app, userId, new { plan = "trial", planExpiresAt = (DateTimeOffset?)null }), "planExpiresAt");
        // The user is on free: an end alone has no plan to end.
        await AssertInvalidAsync(await PatchPlanAsync(app, userId, new { planExpiresAt = future }), "planExpiresAt");
        await AssertInvalidAsync(await SendAsync(HttpMethod.Patch, $"/v1/admin/apps/{app}/users/{userId}",
            new StringContent("""{"plan":"paid","planExpiresAt":"next tuesday"}""", Encoding.UTF8, "application/json"), await AdminTokenAsync()),
            "planExpiresAt");

        var stored = await StoredPlanAsync(userId);
        Assert.Equal(("free", (DateTime?)null), (stored.Plan, stored.ExpiresAt));
    }

    [Fact]
    public async Task Setting_plans_needs_the_roles_permission_besides_changing_users()
    {
        var app = await CreateAppAsync();
        var userId = UserId(await SignUpAsync(app));
        var admin = await AdminTokenAsync();
        await OkJsonAsync(await SendAsync(HttpMethod.Put, $"/v1/admin/apps/{app}/roles/support",
            JsonContent.Create(new { permissions = new[] { "admin:users.read", "admin:users.write" } }), admin));
        var email = NewEmail("support");
        var desk = await CreateUserAsync(app, new { email, password = GoodPassword, emailVerified = true });
        await OkJsonAsync(await SendAsync(HttpMethod.Put, $"/v1/admin/apps/{app}/users/{Str(desk, "id")}/roles",
            JsonContent.Create(new { roles = new[] { "support" } }), admin));
        var support = Access(await LoginOkAsync(app, email));
        var appAdmin = Access(await AppAdminAsync(app));

        await AssertProblemAsync(await PatchAsync($"/v1/admin/apps/{app}/users/{userId}", new { plan = "paid" }, support),
            HttpStatusCode.Forbidden, "forbidden");
        await AssertProblemAsync(await PatchAsync($"/v1/admin/apps/{app}/users/{userId}", new { planExpiresAt = Now.AddDays(1) }, support),
            HttpStatusCode.Forbidden, "forbidden");
        Assert.Equal("free", (await StoredPlanAsync(userId)).Plan);

        var paid = await OkJsonAsync(await PatchAsync($"/v1/admin/apps/{app}/users/{userId}", new { plan = "paid" }, appAdmin));
        Assert.Equal("paid", Str(paid, "plan"));
    }

    private async Task<string?> LastUpdateDetailAsync(string userId)
    {
        await using var scope = Factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LatchkeyDbContext>();
        var id = Guid.Parse(userId);
        return await db.AuditRecords.AsNoTracking().Where(r => r.TargetUserId == id && r.Action == "user.update")
            .OrderByDescending(r => r.Id).Select(r => r.Detail).FirstAsync(Ct);
    }
}

[Collection(SqliteCollection.Name)]
public sealed class PlanChangeTests_Sqlite(SqliteServer server) : PlanChangeTests(server);

[Collection(PostgresCollection.Name)]
public sealed class PlanChangeTests_Postgres(PostgresServer server) : PlanChangeTests(server);
