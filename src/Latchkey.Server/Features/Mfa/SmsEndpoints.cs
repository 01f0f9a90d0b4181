using System.ComponentModel.DataAnnotations;
using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.Auth;
using Latchkey.Server.Features.Users;
using Latchkey.Server.Infrastructure.KeyStore;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Server.Infrastructure.Problems;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.Mfa;

/// <summary>Setting up and removing a phone that receives sign-in codes by SMS as the signed-in user's second factor.</summary>
public static class SmsEndpoints
{
    public static RouteGroupBuilder MapSmsFactorEndpoints(this RouteGroupBuilder app)
    {
        app.MapPost("/me/mfa/sms", BeginAsync)
            .WithSummary("Start setting up a phone for SMS codes")
            .WithDescription("Texts a 6-digit code to the phone (E.164, or national in the region of the device's language); " +
                "confirm it with POST /me/mfa/sms/confirm.");
        app.MapPost("/me/mfa/sms/confirm", ConfirmAsync)
            .WithSummary("Confirm the phone with the code it received")
            .WithDescription("Answers 10 new recovery codes, shown only now; any older ones stop working.");
        app.MapPost("/me/mfa/sms/code", SendAsync)
            .WithSummary("Text a code to the confirmed phone, to confirm a change with method sms");
        app.MapDelete("/me/mfa/sms", RemoveAsync)
            .WithSummary("Remove the phone")
            .WithDescription("Needs a current second factor in the body: { method, code }.");
        return app;
    }

    public sealed record PhoneRequest
    {
        [Required, MaxLength(Phones.MaxLength)] public string Phone { get; init; } = "";
        public Sessions.Device? Device { get; init; }
    }

    public sealed record CodeSent(int ExpiresIn);

    internal static async Task<Accepted<CodeSent>> BeginAsync(
        CurrentApp app, Caller caller, PhoneRequest request, LatchkeyDbContext db, UserKeyring keyring, SmsFactor sms,
        TimeProvider clock, CancellationToken ct)
    {
        var phone = HandleInput.Parse(null, request.Phone, request.Device, required: true)!.Value.Value;
        var user = await MfaEndpoints.UserAsync(db, caller, ct);
        if (user.Anonymous)
        {
            throw Problems.Forbidden("Guests cannot set up a second factor; upgrade the account first.");
        }
        if (await db.MfaFactors.AnyAsync(f => f.UserId == user.Id && f.Kind == MfaKinds.Sms && f.ConfirmedAt != null, ct))
        {
            throw MfaRules.AlreadyEnrolled("SMS");
        }
        await db.MfaFactors.Where(f => f.UserId == user.Id && f.Kind == MfaKinds.Sms && f.ConfirmedAt == null).ExecuteDeleteAsync(ct);

        var key = await keyring.GetAsync(user.Id, ct);
        var factor = new MfaFactor
        {
            Id = Guid.CreateVersion7(),
            AppId = app.Id,
            UserId = user.Id,
            Kind = MfaKinds.Sms,
            CreatedAt = clock.GetUtcNow().UtcDateTime,
        };
        factor.SecretSealed = key.Encrypt(MfaRules.SealedField(factor.Id), phone);
        db.MfaFactors.Add(factor);
        // Note: saved with the code's challenge and message: a refused send (throttled) stores no half-set phone.
        var expiresIn = await sms.SendAsync(app.App, user, phone, MfaPurposes.SmsSetup, HandleInput.Language(request.Device), ct);
        return TypedResults.Accepted((string?)null, new CodeSent(expiresIn));
    }

    internal static async Task<Ok<TotpEndpoints.RecoveryCodesIssued>> ConfirmAsync(
        CurrentApp app, Caller caller, TotpEndpoints.CodeRequest request, LatchkeyDbContext db, UserKeyring keyring, SmsFactor sms,
        MfaEnrolment enrolment, TimeProvider clock, CancellationToken ct)
    {
        var user = await MfaEndpoints.UserAsync(db, caller, ct);
        var factor = await db.MfaFactors.AsNoTracking()
            .Where(f => f.UserId == user.Id && f.Kind == MfaKinds.Sms && f.ConfirmedAt == null)
            .OrderByDescending(f => f.CreatedAt)
            .FirstOrDefaultAsync(ct)
            ?? throw Problems.NotFound("No phone is waiting for its code: add the phone again to get a new one.");
        var phone = SmsFactor.PhoneOf(factor, await keyring.GetAsync(user.Id, ct))!;
        await sms.CheckSentAsync(app.App, user, phone, MfaPurposes.SmsSetup, request.Code, since: factor.CreatedAt, ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var confirmed = await db.MfaFactors
            .Where(f => f.Id == factor.Id && f.ConfirmedAt == null)
            .ExecuteUpdateAsync(f => f.SetProperty(x => x.ConfirmedAt, now), ct);
        if (confirmed == 0)
        {
            throw Problems.CodeInvalid("This phone was already confirmed.");
        }
        return TypedResults.Ok(new TotpEndpoints.RecoveryCodesIssued(await enrolment.ConfirmedAsync(app.App, user.Id, MfaMethods.Sms, ct)));
    }

    internal static async Task<Accepted<CodeSent>> SendAsync(CurrentApp app, Caller caller, LatchkeyDbContext db, SmsFactor sms, CancellationToken ct)
    {
        var user = await MfaEndpoints.UserAsync(db, caller, ct);
        return TypedResults.Accepted((string?)null, new CodeSent(await sms.SendAsync(app.App, user, language: null, ct)));
    }

    internal static async Task<NoContent> RemoveAsync(
        CurrentApp app, Caller caller, [FromBody] FactorProof? proof, LatchkeyDbContext db,
        MfaEnrolment enrolment, CancellationToken ct)
    {
        var user = await MfaEndpoints.UserAsync(db, caller, ct);
        await enrolment.RemoveAsync(app.App, user, MfaKinds.Sms, proof, ct);
        return TypedResults.NoContent();
    }
}
