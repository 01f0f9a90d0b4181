using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Latchkey.Server.Features.Plans;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Tests.Features.Plans;

/// <summary>
/// U4: the expiry job works from the users' state, so after days of downtime the next run handles
/// the whole backlog, batch after batch, once. These tests run their own servers, so that moving
/// the clock by months does not touch the shared ones.
/// </summary>
public abstract class PlanCatchUpTests(string provider)
{
    private CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task After_ninety_days_down_one_run_on_two_nodes_handles_the_backlog_once()
    {
        var database = TestDatabase.Create(provider);
        Microsoft.Extensions.Time.Testing.FakeTimeProvider clock;
        string app;
        await using (var before = new LatchkeyFactory(database))
        {
            clock = before.Clock;
            using var client = before.CreateClient();
            var admin = await LoginAsync(client, "console", LatchkeyFactory.AdminEmail, LatchkeyFactory.AdminPassword);
            app = "c-" + Guid.NewGuid().ToString("N")[..10];
            await SendAsync(client, HttpMethod.Post, "/v1/admin/apps",
                new { id = app, name = "Catch-up " + app, settings = new { accessMode = "open", signupFlow = "none", trialDays = 30, planReminderDays = 30 } }, admin);
            var now = clock.GetUtcNow();
            // Trials that end on day 30, paid plans that end on day 60 (lapsed by day 90, their
            // reminder day fell into the downtime too), on day 95 (reminder due when the node is
            // back) and on day 200 (not due yet); one paid plan without end and one free user.
            await UsersAsync(client, admin, app, 25, new { plan = "trial" });
            await UsersAsync(client, admin, app, 4, new { plan = "paid", planExpiresAt = now.AddDays(60) });
            await UsersAsync(client, admin, app, 3, new { plan = "paid", planExpiresAt = now.AddDays(95) });
            await UsersAsync(client, admin, app, 2, new { plan = "paid", planExpiresAt = now.AddDays(200) });
            await UsersAsync(client, admin, app, 1, new { plan = "paid" });
            await UsersAsync(client, admin, app, 1, null);
        }

        clock.Advance(TimeSpan.FromDays(90));
        // The hosted job is off on these nodes, so that the runs below are the only ones; small
        // batches, so that one run takes many.
        var settings = new Dictionary<string, string?> { ["Latchkey:Plans:JobEnabled"] = "false", ["Latchkey:Plans:BatchSize"] = "4" };
        await using var one = new LatchkeyFactory(database, settings, clock);
        await using var two = one.Sibling(settings);
        _ = one.Server;
        _ = two.Server;

        var runs = await Task.WhenAll(PlanTest.RunJobAsync(one, Ct), PlanTest.RunJobAsync(two, Ct));

        Assert.Equal(25, runs.Sum(r => r.TrialsEnded));
        Assert.Equal(4, runs.Sum(r => r.PaidLapsed));
        Assert.Equal(3, runs.Sum(r => r.Reminded));
        Assert.Equal(0, runs.Sum(r => r.RemindersSkipped));
        var again = await Task.WhenAll(PlanTest.RunJobAsync(one, Ct), PlanTest.RunJobAsync(two, Ct));
        Assert.All(again, run => Assert.Equal(new PlanRun(0, 0, 0, 0), run));

        await using var scope = one.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LatchkeyDbContext>();
        db.TenantAppId = app;
        var plans = await db.Users.AsNoTracking().Where(u => u.AppId == app).GroupBy(u => u.Plan).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(Ct);
        Assert.Equal(30, plans.Single(p => p.Key == "free").Count);
        Assert.Equal(6, plans.Single(p => p.Key == "paid").Count);
        Assert.DoesNotContain(plans, p => p.Key == "trial");
        var audit = await db.AuditRecords.AsNoTracking().Where(r => r.AppId == app && r.Action.StartsWith("plan.")).ToListAsync(Ct);
        Assert.Equal(25, audit.Where(r => r.Action == PlanExpiry.TrialEnded).Select(r => r.TargetUserId).Distinct().Count());
        Assert.Equal(4, audit.Count(r => r.Action == PlanExpiry.PaidLapsed));
        Assert.Equal(3, audit.Count(r => r.Action == PlanExpiry.Reminder));
        Assert.Equal(32, audit.Count);
        var messages = await db.Messages.AsNoTracking().Where(m => m.AppId == app).GroupBy(m => m.Kind).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(Ct);
        Assert.Equal(25, messages.Single(m => m.Key == "trialEnded").Count);
        Assert.Equal(3, messages.Single(m => m.Key == "planReminder").Count);
    }

    private async Task UsersAsync(HttpClient client, string admin, string app, int count, object? plan)
    {
        for (var i = 0; i < count; i++)
        {
            var user = await SendAsync(client, HttpMethod.Post, $"/v1/admin/apps/{app}/users", new { email = $"catchup.{Guid.NewGuid():N}@example.com" }, admin);
            if (plan is not null)
            {
                await SendAsync(client, HttpMethod.Patch, $"/v1/admin/apps/{app}/users/{user["id"]!.GetValue<string>()}", plan, admin);
            }
        }
    }

    private async Task<string> LoginAsync(HttpClient client, string app, string handle, string password) =>
        (await SendAsync(client, HttpMethod.Post, $"/v1/apps/{app}/login", new { handle, password }, null))["access_token"]!.GetValue<string>();

    private async Task<JsonObject> SendAsync(HttpClient client, HttpMethod method, string path, object body, string? bearer)
    {
        using var request = new HttpRequestMessage(method, path) { Content = JsonContent.Create(body) };
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }
        using var response = await client.SendAsync(request, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.IsSuccessStatusCode, $"{method} {path}: expected success, got {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!.AsObject();
    }
}

public sealed class PlanCatchUpTests_Sqlite() : PlanCatchUpTests("sqlite");

public sealed class PlanCatchUpTests_Postgres() : PlanCatchUpTests("postgres");
