using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.Auth;
using Latchkey.Server.Features.Users;
using Latchkey.Server.Infrastructure.KeyStore;
using Latchkey.Server.Infrastructure.Persistence;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.Mfa;

/// <summary>The signed-in user's second factors (S3): what they have, and their recovery codes.</summary>
public static class MfaEndpoints
{
    public static RouteGroupBuilder MapMfaEndpoints(this RouteGroupBuilder app)
    {
        app.MapGet("/me/mfa", ListAsync)
            .WithSummary("The user's second factors and what the app's policy asks of them")
            .WithDescription("No secrets: kinds, dates, the last digits of an SMS phone, how many recovery codes are left.");
        app.MapPost("/me/mfa/recovery-codes", RenewRecoveryCodesAsync)
            .WithSummary("Replace the recovery codes")
            .WithDescription("Needs a current second factor: { method, code }. Answers 10 new codes, shown only now; the old ones stop working.");
        app.MapTotpEndpoints().MapSmsFactorEndpoints();
        return app;
    }

    public sealed record FactorView(Guid Id, string Kind, bool Confirmed, DateTime CreatedAt, DateTime? ConfirmedAt, string? PhoneEnding);

    /// <param name="Policy">The app's mfaPolicy.</param>
    /// <param name="EnrollmentRequired">The policy wants this user to have a second factor and they have none.</param>
    /// <param name="Methods">What sign-in would ask for now (mfa_required's methods), passkeys included.</param>
    public sealed record MfaOverview(
        string Policy, bool EnrollmentRequired, IReadOnlyList<string> Methods, IReadOnlyList<FactorView> Factors, int RecoveryCodesLeft);

    internal static async Task<Ok<MfaOverview>> ListAsync(
        CurrentApp app, Caller caller, LatchkeyDbContext db, UserKeyring keyring, MfaGate gate, RecoveryCodes recovery, CancellationToken ct)
    {
        var user = await UserAsync(db, caller, ct);
        var key = await keyring.GetAsync(user.Id, ct);
        var rows = await db.MfaFactors.AsNoTracking().Where(f => f.UserId == user.Id).OrderBy(f => f.CreatedAt).ToListAsync(ct);
        var factors = rows.Select(f => new FactorView(f.Id, f.Kind, f.ConfirmedAt is not null, f.CreatedAt, f.ConfirmedAt,
            f.Kind == MfaKinds.Sms && SmsFactor.PhoneOf(f, key) is { Length: > 4 } phone ? phone[^4..] : null)).ToList();
        var methods = await gate.EnrolledMethodsAsync(app.App, user, ct);
        var required = await gate.RequiresFactorAsync(app.App, user, ct) && !MfaRules.HasFactor(methods);
        return TypedResults.Ok(new MfaOverview(app.Settings.MfaPolicy, required, methods, factors, await recovery.LeftAsync(user.Id, ct)));
    }

    internal static async Task<Ok<TotpEndpoints.RecoveryCodesIssued>> RenewRecoveryCodesAsync(
        CurrentApp app, Caller caller, [FromBody] FactorProof? proof, LatchkeyDbContext db,
        MfaEnrolment enrolment, CancellationToken ct)
    {
        var user = await UserAsync(db, caller, ct);
        return TypedResults.Ok(new TotpEndpoints.RecoveryCodesIssued(await enrolment.RenewRecoveryCodesAsync(app.App, user, proof, ct)));
    }

    internal static Task<User> UserAsync(LatchkeyDbContext db, Caller caller, CancellationToken ct) =>
        db.Users.AsNoTracking().FirstAsync(u => u.Id == caller.UserId, ct);
}
