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
using OtpNet;
using QRCoder;

namespace Latchkey.Server.Features.Mfa;

/// <summary>Setting up and removing an authenticator app (TOTP) as the signed-in user's second factor.</summary>
public static class TotpEndpoints
{
    public static RouteGroupBuilder MapTotpEndpoints(this RouteGroupBuilder app)
    {
        app.MapPost("/me/mfa/totp", BeginAsync)
            .WithSummary("Start setting up an authenticator app")
            .WithDescription("Answers the secret, its otpauth:// URI and that URI as an SVG QR code. Nothing is asked at sign-in " +
                "until a first code confirms it; starting again replaces an unconfirmed secret.");
        app.MapPost("/me/mfa/totp/confirm", ConfirmAsync)
            .WithSummary("Confirm the authenticator app with a first code")
            .WithDescription("Answers 10 new recovery codes, shown only now; any older ones stop working.");
        app.MapDelete("/me/mfa/totp", RemoveAsync)
            .WithSummary("Remove the authenticator app")
            .WithDescription("Needs a current second factor in the body: { code } (a code of this authenticator), or { method, code }.");
        return app;
    }

    public sealed record TotpSetup(string Secret, string OtpauthUri, string QrSvg);

    public sealed record CodeRequest
    {
        [Required, MaxLength(64)] public string Code { get; init; } = "";
    }

    public sealed record RecoveryCodesIssued(IReadOnlyList<string> RecoveryCodes);

    internal static async Task<Ok<TotpSetup>> BeginAsync(
        CurrentApp app, Caller caller, LatchkeyDbContext db, UserKeyring keyring, TimeProvider clock, CancellationToken ct)
    {
        var user = await MfaEndpoints.UserAsync(db, caller, ct);
        if (user.Anonymous)
        {
            throw Problems.Forbidden("Guests cannot set up a second factor; upgrade the account first.");
        }
        if (await db.MfaFactors.AnyAsync(f => f.UserId == user.Id && f.Kind == MfaKinds.Totp && f.ConfirmedAt != null, ct))
        {
            throw MfaRules.AlreadyEnrolled("authenticator app");
        }
        await db.MfaFactors.Where(f => f.UserId == user.Id && f.Kind == MfaKinds.Totp && f.ConfirmedAt == null).ExecuteDeleteAsync(ct);

        var key = await keyring.GetAsync(user.Id, ct);
        var secret = TotpFactor.NewSecret();
        var factor = new MfaFactor
        {
            Id = Guid.CreateVersion7(),
            AppId = app.Id,
            UserId = user.Id,
            Kind = MfaKinds.Totp,
            CreatedAt = clock.GetUtcNow().UtcDateTime,
        };
        factor.SecretSealed = key.Encrypt(MfaRules.SealedField(factor.Id), secret);
        db.MfaFactors.Add(factor);
        await db.SaveChangesAsync(ct);

        var view = UserProfiles.View(user, key);
        var account = view.Email ?? view.Phone ?? view.Username ?? user.Id.ToString();
        var uri = new OtpUri(OtpType.Totp, secret, account, app.App.Name, OtpHashMode.Sha1, TotpFactor.Digits, TotpFactor.PeriodSeconds).ToString();
        return TypedResults.Ok(new TotpSetup(secret, uri, QrSvg(uri)));
    }

    internal static async Task<Ok<RecoveryCodesIssued>> ConfirmAsync(
        CurrentApp app, Caller caller, CodeRequest request, LatchkeyDbContext db, UserKeyring keyring, TotpFactor totp,
        MfaEnrolment enrolment, TimeProvider clock, CancellationToken ct)
    {
        var user = await MfaEndpoints.UserAsync(db, caller, ct);
        var factor = await db.MfaFactors.AsNoTracking()
            .Where(f => f.UserId == user.Id && f.Kind == MfaKinds.Totp && f.ConfirmedAt == null)
            .OrderByDescending(f => f.CreatedAt)
            .FirstOrDefaultAsync(ct)
            ?? throw Problems.NotFound("No authenticator app is waiting for its first code: start adding it again.");
        var key = await keyring.GetAsync(user.Id, ct);
        var step = totp.Match(TotpFactor.SecretOf(factor, key), request.Code)
            ?? throw Problems.CodeInvalid("This code is not right: check the authenticator app's clock and try the current code.");
        var now = clock.GetUtcNow().UtcDateTime;
        var confirmed = await db.MfaFactors
            .Where(f => f.Id == factor.Id && f.ConfirmedAt == null)
            .ExecuteUpdateAsync(f => f.SetProperty(x => x.ConfirmedAt, now).SetProperty(x => x.LastUsedStep, (long?)step), ct);
        if (confirmed == 0)
        {
            throw Problems.CodeInvalid("This authenticator app was already confirmed.");
        }
        return TypedResults.Ok(new RecoveryCodesIssued(await enrolment.ConfirmedAsync(app.App, user.Id, MfaMethods.Totp, ct)));
    }

    internal static async Task<NoContent> RemoveAsync(
        CurrentApp app, Caller caller, [FromBody] FactorProof? proof, LatchkeyDbContext db,
        MfaEnrolment enrolment, CancellationToken ct)
    {
        var user = await MfaEndpoints.UserAsync(db, caller, ct);
        await enrolment.RemoveAsync(app.App, user, MfaKinds.Totp, proof, ct);
        return TypedResults.NoContent();
    }

    /// <summary>The URI as a QR code in SVG that scales to its container (a viewBox, no fixed size).</summary>
    private static string QrSvg(string uri)
    {
        using var generator = new QRCodeGenerator();
        using var data = generator.CreateQrCode(uri, QRCodeGenerator.ECCLevel.M);
        return new SvgQRCode(data).GetGraphic(4, "#000000", "#ffffff", drawQuietZones: true, SvgQRCode.SizingMode.ViewBoxAttribute);
    }
}
