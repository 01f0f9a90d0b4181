using System.Net;
using System.Text.Json.Nodes;
using Latchkey.Server.Features.Audit;
using Latchkey.Server.Infrastructure.KeyStore;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Tests.Features.Audit;

/// <summary>Helpers of the audit trail tests: records made through the API, the chain read and tampered with in the database.</summary>
public abstract class AuditTest(ServerFixture fixture) : ApiTest(fixture)
{
    /// <summary>A fresh app whose trail holds app.create and one sign-in per sign-up (seq 1 and on).</summary>
    protected async Task<string> AppWithRecordsAsync(int signUps)
    {
        var app = await CreateAppAsync();
        for (var i = 0; i < signUps; i++)
        {
            await SignUpAsync(app);
        }
        return app;
    }

    protected async Task<JsonObject> VerifyAsync(string app) =>
        await OkJsonAsync(await GetAsync($"/v1/admin/apps/{app}/audit/verify", await AdminTokenAsync()));

    protected async Task<JsonArray> TrailAsync(string app, string query = "", string? bearer = null) =>
        await OkJsonArrayAsync(await GetAsync($"/v1/admin/apps/{app}/audit{query}", bearer ?? await AdminTokenAsync()));

    /// <summary>Sign-in as the console's super admin: the whole token response (its user id is the actor of admin records).</summary>
    protected async Task<JsonObject> SuperAdminAsync() =>
        await OkJsonAsync(await PostAsync("/v1/apps/console/login", new { handle = LatchkeyFactory.AdminEmail, password = LatchkeyFactory.AdminPassword }));

    protected Task<HttpResponseMessage> LoginAsync(string app, string handle, string password = GoodPassword) =>
        PostAsync($"/v1/apps/{app}/login", new { handle, password });

    protected static string Access(JsonObject tokens) => Str(tokens, "access_token");

    protected static string UserId(JsonObject tokens) => Str(tokens["user"], "id");

    /// <summary>Works on the database directly, as someone with only database access would.</summary>
    protected async Task<T> WithDbAsync<T>(Func<LatchkeyDbContext, Task<T>> work)
    {
        await using var scope = Factory.Services.CreateAsyncScope();
        return await work(scope.ServiceProvider.GetRequiredService<LatchkeyDbContext>());
    }

    /// <summary>The app's chained records in seq order, as stored.</summary>
    protected Task<List<AuditRecord>> ChainAsync(string app) =>
        WithDbAsync(db => db.AuditRecords.AsNoTracking().Where(r => r.AppId == app && r.Seq != null).OrderBy(r => r.Seq).ToListAsync(Ct));

    /// <summary>Works on the key store directly, as someone with access to that database would.</summary>
    protected async Task<T> WithKeyStoreAsync<T>(Func<KeyStoreDbContext, Task<T>> work)
    {
        await using var scope = Factory.Services.CreateAsyncScope();
        return await work(scope.ServiceProvider.GetRequiredService<KeyStoreDbContext>());
    }

    /// <summary>The app's checkpoint row in the key store, as stored.</summary>
    protected Task<AuditCheckpoint?> StoredCheckpointAsync(string app) =>
        WithKeyStoreAsync(store => store.AuditCheckpoints.AsNoTracking().FirstOrDefaultAsync(c => c.AppId == app, Ct));

    protected static void AssertValid(JsonObject verification, long count)
    {
        Assert.True(verification["valid"]!.GetValue<bool>(), verification.ToJsonString());
        Assert.Equal(count, verification["checked"]!.GetValue<long>());
        Assert.Null(verification["brokenAt"]);
        Assert.Null(verification["reason"]);
    }

    protected static void AssertBroken(JsonObject verification, string reason, long? brokenAt)
    {
        Assert.False(verification["valid"]!.GetValue<bool>(), verification.ToJsonString());
        Assert.Equal(reason, verification["reason"]?.GetValue<string>());
        Assert.Equal(brokenAt, verification["brokenAt"]?.GetValue<long>());
    }

    protected static async Task AssertForbiddenAsync(HttpResponseMessage response) =>
        await AssertProblemAsync(response, HttpStatusCode.Forbidden, "forbidden");
}
