using System.Net;
using System.Text.Json.Nodes;
using Latchkey.Server.Features.Plans;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Tests.Features.Onboarding;
using Latchkey.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using B64 = System.Buffers.Text.Base64Url;

namespace Latchkey.Tests.Features.Plans;

/// <summary>Helpers of the plan tests (MISSION U4): set plans as an admin, run the expiry job on nodes, read what it did.</summary>
public abstract class PlanTest(ServerFixture fixture) : OnboardingTest(fixture)
{
    protected DateTimeOffset Now => Factory.Clock.GetUtcNow();

    protected async Task<HttpResponseMessage> PatchPlanAsync(string app, string userId, object body) =>
        await PatchAsync($"/v1/admin/apps/{app}/users/{userId}", body, await AdminTokenAsync());

    protected async Task<JsonObject> SetPlanAsync(string app, string userId, object body) =>
        await OkJsonAsync(await PatchPlanAsync(app, userId, body));

    protected Task<HttpResponseMessage> RefreshAsync(string app, string refreshToken) =>
        PostAsync($"/v1/apps/{app}/token", new { refresh_token = refreshToken });

    /// <summary>A second server node on the same database and clock, started.</summary>
    protected LatchkeyFactory SecondNode()
    {
        var node = Factory.Sibling(new Dictionary<string, string?>());
        _ = node.Server;
        return node;
    }

    /// <summary>Runs the expiry job on both nodes at the same instant, <paramref name="rounds"/> times, a minute of clock apart.</summary>
    protected async Task RunOnBothNodesAsync(LatchkeyFactory other, int rounds = 3)
    {
        for (var round = 0; round < rounds; round++)
        {
            await Task.WhenAll(RunJobAsync(Factory, Ct), RunJobAsync(other, Ct));
            Factory.Clock.Advance(TimeSpan.FromMinutes(1));
        }
    }

    public static async Task<PlanRun> RunJobAsync(LatchkeyFactory node, CancellationToken ct)
    {
        await using var scope = node.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<PlanExpiry>().RunOnceAsync(ct);
    }

    /// <summary>The plan as stored (what the job has written), not as clients see it.</summary>
    protected async Task<(string Plan, DateTime? ExpiresAt, DateTime? ReminderSentFor)> StoredPlanAsync(string userId)
    {
        await using var scope = Factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LatchkeyDbContext>();
        var user = await db.Users.AsNoTracking().IgnoreQueryFilters().SingleAsync(u => u.Id == Guid.Parse(userId), Ct);
        return (user.Plan, user.PlanExpiresAt, user.PlanReminderSentFor);
    }

    protected async Task<List<Latchkey.Server.Features.Audit.AuditRecord>> AuditAsync(string userId, string action)
    {
        await using var scope = Factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LatchkeyDbContext>();
        var id = Guid.Parse(userId);
        return await db.AuditRecords.AsNoTracking().Where(r => r.TargetUserId == id && r.Action == action).ToListAsync(Ct);
    }

    protected async Task<List<JsonNode>> MessagesAsync(string app, string to, string kind) =>
        (await OutboxAsync(app, to)).Where(m => m?["kind"]?.GetValue<string>() == kind).Select(m => m!).ToList();

    protected static JsonObject Claims(string jwt) => JsonNode.Parse(B64.DecodeFromChars(jwt.Split('.')[1]))!.AsObject();

    protected static DateTimeOffset ToTheSecond(DateTimeOffset at) => new(at.Ticks - at.Ticks % TimeSpan.TicksPerSecond, TimeSpan.Zero);

    protected static DateTimeOffset? Date(JsonNode? node, string name) =>
        node![name] is { } value ? DateTimeOffset.Parse(value.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture) : null;

    protected static async Task<JsonObject> AssertInvalidAsync(HttpResponseMessage response, string field)
    {
        var problem = await AssertProblemAsync(response, HttpStatusCode.BadRequest, "invalid_request");
        AssertErrorFor(problem, field);
        return problem;
    }
}
