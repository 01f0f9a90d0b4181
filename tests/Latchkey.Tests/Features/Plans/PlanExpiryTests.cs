using Latchkey.Server.Features.Plans;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.Plans;

/// <summary>
/// U4: the expiry job ends trials and lapsed paid plans and sends renewal reminders exactly once,
/// with two nodes running it at the same instants, driven by the shared fake clock.
/// </summary>
public abstract class PlanExpiryTests(ServerFixture fixture) : PlanTest(fixture)
{
    [Fact]
    public async Task A_trial_past_its_end_becomes_free_once_with_two_nodes_running()
    {
        var app = await CreateAppAsync();
        var email = NewEmail("trial");
        var tokens = await SignUpAsync(app, email);
        var userId = UserId(tokens);
        var end = ToTheSecond(Now.AddHours(1));
        var set = await SetPlanAsync(app, userId, new { plan = "trial", planExpiresAt = end });
        Assert.Equal("trial", Str(set, "plan"));
        Assert.Equal(end, Date(set, "planExpiresAt"));
        var during = Claims(Access(await OkJsonAsync(await RefreshAsync(app, Refresh(tokens)))));
        Assert.Equal("trial", Str(during, "plan"));
        await using var other = SecondNode();

        Factory.Clock.Advance(TimeSpan.FromHours(2));
        await RunOnBothNodesAsync(other, rounds: 4);

        var stored = await StoredPlanAsync(userId);
        Assert.Equal("free", stored.Plan);
        Assert.Null(stored.ExpiresAt);
        var expired = Assert.Single(await AuditAsync(userId, PlanExpiry.TrialEnded));
        Assert.Null(expired.ActorUserId);
        Assert.Equal("trial", expired.Detail);
        Assert.Empty(await AuditAsync(userId, PlanExpiry.PaidLapsed));
        var ended = Assert.Single(await MessagesAsync(app, email, "trialEnded"));
        Assert.Contains("free plan", Str(ended, "body"));

        var after = await OkJsonAsync(await RefreshAsync(app, Refresh(await LoginOkAsync(app, email))));
        var claims = Claims(Access(after));
        Assert.Equal("free", Str(claims, "plan"));
        Assert.Null(claims["plan_exp"]);
        Assert.Equal("free", Str(after["user"], "plan"));
        Assert.Null(after["user"]!["planExpiresAt"]);
    }

    [Fact]
    public async Task A_paid_plan_that_was_not_renewed_lapses_to_free_once()
    {
        var app = await CreateAppAsync(new { planReminderDays = 0 });
        var email = NewEmail("lapsed");
        var userId = UserId(await SignUpAsync(app, email));
        await SetPlanAsync(app, userId, new { plan = "paid", planExpiresAt = Now.AddMinutes(30) });
        await using var other = SecondNode();

        Factory.Clock.Advance(TimeSpan.FromHours(1));
        await RunOnBothNodesAsync(other);

        Assert.Equal("free", (await StoredPlanAsync(userId)).Plan);
        Assert.Equal("paid", Assert.Single(await AuditAsync(userId, PlanExpiry.PaidLapsed)).Detail);
        Assert.Empty(await AuditAsync(userId, PlanExpiry.TrialEnded));
        // planReminderDays 0: this app sends no reminders, and a lapsed plan sends no trial mail.
        Assert.Empty(await MessagesAsync(app, email, "planReminder"));
        Assert.Empty(await MessagesAsync(app, email, "trialEnded"));
    }

    [Fact]
    public async Task A_paid_user_gets_one_reminder_per_end_and_a_renewal_arms_the_next()
    {
        var app = await CreateAppAsync(new { planReminderDays = 30 });
        var email = NewEmail("paid");
        var userId = UserId(await SignUpAsync(app, email));
        var end = ToTheSecond(Now.AddDays(10));
        await SetPlanAsync(app, userId, new { plan = "paid", planExpiresAt = end });
        await using var other = SecondNode();

        await RunOnBothNodesAsync(other, rounds: 4);

        var reminder = Assert.Single(await MessagesAsync(app, email, "planReminder"));
        Assert.Contains(end.ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture) + " UTC", Str(reminder, "body"));
        Assert.Contains("10 days", Str(reminder, "subject"));
        Assert.Single(await AuditAsync(userId, PlanExpiry.Reminder));
        Assert.Equal(end.UtcDateTime, (await StoredPlanAsync(userId)).ReminderSentFor);

        // Renewed: the new end is 31 days away, outside the 30-day window for now.
        var renewed = ToTheSecond(Now.AddDays(31));
        var set = await SetPlanAsync(app, userId, new { planExpiresAt = renewed });
        Assert.Equal("paid", Str(set, "plan"));
        await RunOnBothNodesAsync(other, rounds: 2);
        Assert.Single(await MessagesAsync(app, email, "planReminder"));

        Factory.Clock.Advance(TimeSpan.FromDays(2));
        await RunOnBothNodesAsync(other, rounds: 4);

        var reminders = await MessagesAsync(app, email, "planReminder");
        Assert.Equal(2, reminders.Count);
        Assert.Contains(renewed.ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture) + " UTC", Str(reminders[0], "body"));
        Assert.Equal(2, (await AuditAsync(userId, PlanExpiry.Reminder)).Count);
        Assert.Equal("paid", (await StoredPlanAsync(userId)).Plan);
    }

    [Fact]
    public async Task A_paid_user_without_email_is_skipped_once_and_audited()
    {
        var app = await CreateAppAsync(new { planReminderDays = 30 });
        var user = await CreateUserAsync(app, new { phone = PhoneAsTyped });
        var userId = Str(user, "id");
        await SetPlanAsync(app, userId, new { plan = "paid", planExpiresAt = Now.AddDays(5) });
        await using var other = SecondNode();

        await RunOnBothNodesAsync(other);

        Assert.Equal("no_email", Assert.Single(await AuditAsync(userId, PlanExpiry.ReminderSkipped)).Detail);
        Assert.Empty(await AuditAsync(userId, PlanExpiry.Reminder));
        Assert.Empty(await MessagesAsync(app, PhoneE164, "planReminder"));
        Assert.Equal("paid", (await StoredPlanAsync(userId)).Plan);
    }

    [Fact]
    public async Task The_hosted_job_ends_a_trial_when_the_clock_passes_its_end()
    {
        var app = await CreateAppAsync();
        var userId = UserId(await SignUpAsync(app));
        await SetPlanAsync(app, userId, new { plan = "trial", planExpiresAt = Now.AddMinutes(10) });

        // Nobody calls the job here: the node's timer (every 60 s of its clock) does.
        Factory.Clock.Advance(TimeSpan.FromMinutes(11));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while ((await StoredPlanAsync(userId)).Plan != "free")
        {
            Assert.True(DateTime.UtcNow < deadline, "The hosted job did not end the trial within 10 s.");
            await Task.Delay(100, Ct);
        }
        Assert.Single(await AuditAsync(userId, PlanExpiry.TrialEnded));
        var job = await OkJsonAsync(await GetAsync($"/v1/admin/apps/{app}/plans/job", await AdminTokenAsync()));
        Assert.True(Date(job, "lastRunAt") >= Now.AddMinutes(-2), job.ToJsonString());
        Assert.False(string.IsNullOrEmpty(Str(job, "holder")));
    }
}

[Collection(SqliteCollection.Name)]
public sealed class PlanExpiryTests_Sqlite(SqliteServer server) : PlanExpiryTests(server);

[Collection(PostgresCollection.Name)]
public sealed class PlanExpiryTests_Postgres(PostgresServer server) : PlanExpiryTests(server);
