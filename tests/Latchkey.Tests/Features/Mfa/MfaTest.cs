using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Latchkey.Server.Features.Audit;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Tests.Features.Onboarding;
using Latchkey.Tests.Features.Tokens;
using Latchkey.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Tests.Features.Mfa;

/// <summary>
/// Helpers of the second-factor tests. TOTP codes come from npm otplib (tests/js/totp.mjs) at the
/// server's fake time, never from the server's own TOTP code.
/// </summary>
public abstract class MfaTest(ServerFixture fixture) : OnboardingTest(fixture)
{
    protected sealed record Enrolled(string App, string Email, JsonObject Tokens, string Secret, IReadOnlyList<string> RecoveryCodes);

    /// <summary>The code an authenticator app shows for <paramref name="secret"/>, <paramref name="steps"/> 30-second steps from the server's now.</summary>
    protected async Task<string> TotpAsync(string secret, int steps = 0, TimeProvider? clock = null)
    {
        var at = (clock ?? Factory.Clock).GetUtcNow().ToUnixTimeSeconds() + steps * 30L;
        var code = (await IndependentVerificationTests.RunNodeAsync("totp.mjs", Ct, secret, at.ToString(CultureInfo.InvariantCulture))).Trim();
        Assert.Matches("^[0-9]{6}$", code);
        return code;
    }

    /// <summary>Moves the server's clock to the start of the next TOTP step, so that a fresh code exists.</summary>
    protected void NextStep()
    {
        var now = Factory.Clock.GetUtcNow().ToUnixTimeSeconds();
        Factory.Clock.Advance(TimeSpan.FromSeconds(30 - now % 30));
    }

    /// <summary>An app (open, password sign-in unless <paramref name="settings"/> say otherwise), a user in it, and their confirmed authenticator.</summary>
    protected async Task<Enrolled> EnrolledUserAsync(object? settings = null)
    {
        var app = await CreateAppAsync(settings);
        var email = NewEmail("mfa");
        var tokens = await SignUpAsync(app, email);
        var (secret, codes) = await EnrolTotpAsync(app, Access(tokens));
        // The confirming code used the current step; sign-ins in the test need a fresh one.
        NextStep();
        return new Enrolled(app, email, tokens, secret, codes);
    }

    protected async Task<(string Secret, IReadOnlyList<string> RecoveryCodes)> EnrolTotpAsync(string app, string access)
    {
        var setup = await OkJsonAsync(await PostAsync($"/v1/apps/{app}/me/mfa/totp", new { }, access));
        var secret = Str(setup, "secret");
        var confirmed = await OkJsonAsync(await PostAsync($"/v1/apps/{app}/me/mfa/totp/confirm", new { code = await TotpAsync(secret) }, access));
        return (secret, confirmed["recoveryCodes"]!.AsArray().Select(c => c!.GetValue<string>()).ToList());
    }

    /// <summary>A password sign-in that must answer mfa_required; answers the problem body.</summary>
    protected async Task<JsonObject> MfaRequiredAsync(string app, string handle)
    {
        var body = await AssertProblemAsync(await LoginAsync(app, handle), HttpStatusCode.Unauthorized, "mfa_required");
        Assert.False(string.IsNullOrEmpty(body["mfaToken"]?.GetValue<string>()), $"mfa_required without an mfaToken: {body.ToJsonString()}");
        return body;
    }

    protected static string MfaToken(JsonObject mfaRequired) => Str(mfaRequired, "mfaToken");

    protected static string[] Methods(JsonObject body) => body["methods"]!.AsArray().Select(m => m!.GetValue<string>()).ToArray();

    protected Task<HttpResponseMessage> FinishAsync(string app, string mfaToken, string method, string? code) =>
        PostAsync($"/v1/apps/{app}/login/mfa", new { mfaToken, method, code });

    protected async Task<JsonObject> MfaOverviewAsync(string app, string access) =>
        await OkJsonAsync(await GetAsync($"/v1/apps/{app}/me/mfa", access));

    /// <summary>The audit records of refused second factors in an app, read from the database, oldest first.</summary>
    protected async Task<List<AuditRecord>> MfaFailuresAsync(string app)
    {
        await using var scope = Factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LatchkeyDbContext>();
        return await db.AuditRecords.AsNoTracking()
            .Where(r => r.AppId == app && r.Action == "security.mfa_failed")
            .OrderBy(r => r.Id)
            .ToListAsync(Ct);
    }
}
