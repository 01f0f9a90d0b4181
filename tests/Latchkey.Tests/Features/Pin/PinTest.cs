using System.Net;
using System.Text.Json.Nodes;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Tests.Features.Pin;

/// <summary>Helpers the PIN tests share (MISSION S1).</summary>
public abstract class PinTest(ServerFixture fixture) : ApiTest(fixture)
{
    protected const string GoodPin = "4829";
    protected const string OtherPin = "6183";
    protected const string WrongPin = "9071";

    protected static string Access(JsonObject tokens) => Str(tokens, "access_token");
    protected static string Refresh(JsonObject tokens) => Str(tokens, "refresh_token");

    protected Task<HttpResponseMessage> SetPinAsync(string app, string accessToken, string pin, string? currentPin = null) =>
        SendAsync(HttpMethod.Put, $"/v1/apps/{app}/me/pin", JsonContent.Create(new { pin, currentPin }), accessToken);

    protected async Task SetPinOkAsync(string app, string accessToken, string pin, string? currentPin = null)
    {
        var response = await SetPinAsync(app, accessToken, pin, currentPin);
        Assert.True(response.StatusCode == HttpStatusCode.NoContent, $"Expected 204, got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    protected Task<HttpResponseMessage> RefreshAsync(string app, string refreshToken, string? pin = null, bool unloaded = false) =>
        PostAsync($"/v1/apps/{app}/token", new { refresh_token = refreshToken, pin, unloaded });

    protected Task<HttpResponseMessage> LoginAsync(string app, string email) =>
        PostAsync($"/v1/apps/{app}/login", new { handle = email, password = GoodPassword });

    /// <summary>Asserts pin_required and answers how many attempts the server says are left.</summary>
    protected static async Task<int> AssertPinRequiredAsync(HttpResponseMessage response)
    {
        var body = await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "pin_required");
        return body["attemptsLeft"]!.GetValue<int>();
    }

    /// <summary>The audit trail's actions for one app, oldest first.</summary>
    protected async Task<List<string>> AuditActionsAsync(string app)
    {
        await using var scope = Factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LatchkeyDbContext>();
        return await db.AuditRecords.AsNoTracking().Where(r => r.AppId == app).OrderBy(r => r.Id).Select(r => r.Action).ToListAsync(Ct);
    }
}
