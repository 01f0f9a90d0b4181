using System.ComponentModel.DataAnnotations;
using System.Text.Json.Nodes;
using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.Auth;
using Latchkey.Server.Features.Challenges;
using Latchkey.Server.Features.Mfa;
using Latchkey.Server.Features.RateLimits;
using Latchkey.Server.Features.Sessions;
using Latchkey.Server.Features.SignUp;
using Latchkey.Server.Features.Tokens;
using Latchkey.Server.Features.Users;
using Latchkey.Server.Infrastructure.KeyStore;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Server.Infrastructure.Problems;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.Passkeys;

public static class PasskeyEndpoints
{
    /// <summary>The rate-limit kind of passwordless passkey sign-ins (S5).</summary>
    public const string PasskeyThrottleKind = "passkey";

    /// <summary>The signed-in user's passkeys: /me/passkeys.</summary>
    public static RouteGroupBuilder MapPasskeyEndpoints(this RouteGroupBuilder app)
    {
        app.MapPost("/me/passkeys/options", CreationOptionsAsync)
            .WithSummary("Start registering a passkey: options for navigator.credentials.create, with a ceremonyId")
            .WithDescription("Body (optional): { attestation: \"none\" (default) | \"direct\" }. The ceremony lives 5 minutes and is used once.");
        app.MapPost("/me/passkeys", RegisterAsync)
            .WithSummary("Finish registering a passkey: { ceremonyId, credential (PublicKeyCredential.toJSON()), name? }")
            .WithDescription("Verifies the attestation (none or packed). A response that does not hold answers 400 passkey_invalid with the failed check and is recorded.");
        app.MapGet("/me/passkeys", ListAsync).WithSummary("The user's passkeys");
        app.MapDelete("/me/passkeys/{passkeyId:guid}", RemoveAsync).WithSummary("Remove one of the user's passkeys");
        return app;
    }

    /// <summary>Passwordless sign-in, the passkey second factor's options and the demo page, on the app's public surface.</summary>
    public static RouteGroupBuilder MapPasskeyLoginEndpoints(this RouteGroupBuilder app)
    {
        app.MapPost("/login/passkey/options", SignInOptionsAsync)
            .WithSummary("Start a passwordless sign-in: options for navigator.credentials.get (discoverable credentials), with a ceremonyId");
        app.MapPost("/login/passkey", SignInAsync)
            .WithSummary("Sign in with a passkey: { ceremonyId, credential (PublicKeyCredential.toJSON()), device?, parameters? } → tokens")
            .WithDescription("The passkey must verify its user (UV). A response that does not hold answers 400 passkey_invalid with the failed check and is recorded.");
        app.MapPost("/login/mfa/passkey/options", SecondFactorOptionsAsync)
            .WithSummary("Options for navigator.credentials.get that complete a pending sign-in: { mfaToken }")
            .WithDescription("Then POST /login/mfa { mfaToken, method: \"passkey\", assertion: PublicKeyCredential.toJSON() }.");
        app.MapGet("/passkeys/demo", PasskeyDemoPage.Serve)
            .WithSummary("A small page that registers passkeys and signs in with them in a browser (development and tests)")
            .Produces<string>(StatusCodes.Status200OK, "text/html");
        return app;
    }

    public sealed record CreationOptionsRequest
    {
        [AllowedValues(null, "none", "direct")] public string? Attestation { get; init; }
    }

    public sealed record RegistrationRequest
    {
        public Guid? CeremonyId { get; init; }
        [Required] public PasskeyCredentialJson? Credential { get; init; }
        [MaxLength(100)] public string? Name { get; init; }
    }

    public sealed record SignInRequest
    {
        public Guid? CeremonyId { get; init; }
        [Required] public PasskeyCredentialJson? Credential { get; init; }
        public Device? Device { get; init; }
        public JsonObject? Parameters { get; init; }
    }

    public sealed record SecondFactorOptionsRequest
    {
        [Required, MaxLength(200)] public string? MfaToken { get; init; }
    }

    internal static async Task<Ok<PasskeyCreationOptions>> CreationOptionsAsync(
        CurrentApp app, Caller caller, CreationOptionsRequest? request, LatchkeyDbContext db, PasskeyService passkeys, CancellationToken ct)
    {
        var user = await db.Users.AsNoTracking().FirstAsync(u => u.Id == caller.UserId, ct);
        return TypedResults.Ok(await passkeys.CreationOptionsAsync(app.App, user, request?.Attestation ?? "none", ct));
    }

    internal static async Task<Created<PasskeyView>> RegisterAsync(
        CurrentApp app, Caller caller, RegistrationRequest request, LatchkeyDbContext db, PasskeyService passkeys, CancellationToken ct)
    {
        var user = await db.Users.AsNoTracking().FirstAsync(u => u.Id == caller.UserId, ct);
        var credential = await passkeys.RegisterAsync(app.App, user, request.CeremonyId, request.Credential, request.Name, ct);
        return TypedResults.Created($"/v1/apps/{app.Id}/me/passkeys/{credential.Id}", PasskeyView.Of(credential));
    }

    internal static async Task<Ok<List<PasskeyView>>> ListAsync(CurrentApp app, Caller caller, PasskeyService passkeys, CancellationToken ct) =>
        TypedResults.Ok(await passkeys.ListAsync(app.App, caller.UserId, ct));

    internal static async Task<NoContent> RemoveAsync(CurrentApp app, Caller caller, Guid passkeyId, PasskeyService passkeys, CancellationToken ct) =>
        await passkeys.RemoveAsync(app.App, caller.UserId, passkeyId, ct)
            ? TypedResults.NoContent()
            : throw Problems.NotFound("You have no passkey with this id.");

    internal static async Task<Ok<PasskeyRequestOptions>> SignInOptionsAsync(CurrentApp app, PasskeyService passkeys, CancellationToken ct) =>
        TypedResults.Ok(await passkeys.RequestOptionsAsync(app.App, userId: null, PasskeyCeremonies.LoginScope, requireUserVerification: true, ct));

    internal static async Task<Ok<TokenResponse>> SignInAsync(
        CurrentApp app, SignInRequest request, PasskeyService passkeys, CredentialThrottle throttle, UserKeyring keyring, VerificationFlows flows, CancellationToken ct)
    {
        var user = await ThrottledSignInAsync(app.App, request.CeremonyId, request.Credential, passkeys, throttle, ct);
        var key = await keyring.GetAsync(user.Id, ct);
        return TypedResults.Ok(await flows.TokensAsync(app.App, user, key, request.Device, ct));
    }

    /// <summary>
    /// The passwordless ceremony under its throttle, and the user it signs in (not a disabled one):
    /// the JSON API and the provider's sign-in page (X1) both sign in with a passkey here.
    /// </summary>
    public static async Task<User> ThrottledSignInAsync(App app, Guid? ceremonyId, PasskeyCredentialJson? credential, PasskeyService passkeys,
        CredentialThrottle throttle, CancellationToken ct)
    {
        // Note: per source address only. A passkey's signature cannot be guessed, and counting
        // failures per account would let anyone lock its owner out.
        var attempt = await throttle.EnsureAllowedAsync(app.Id, PasskeyThrottleKind, account: null, ct);
        User user;
        try
        {
            user = await passkeys.SignInAsync(app, ceremonyId, credential, ct);
        }
        catch (ProblemException refused) when (refused.Status == StatusCodes.Status400BadRequest)
        {
            await throttle.RecordFailureAsync(attempt, CancellationToken.None);
            throw;
        }
        await throttle.RecordSuccessAsync(attempt, ct);
        return user.Disabled ? throw Problems.UserDisabled() : user;
    }

    internal static async Task<Ok<PasskeyRequestOptions>> SecondFactorOptionsAsync(
        CurrentApp app, SecondFactorOptionsRequest request, MfaSignIns signIns, ChallengeService challenges, PasskeyService passkeys, CancellationToken ct)
    {
        var pending = await signIns.FindOpenAsync(app.App, request.MfaToken, ct);
        if (challenges.Payload(pending).MfaMethods?.Contains(MfaMethods.Passkey) != true)
        {
            throw Problems.InvalidField("mfaToken", "This sign-in cannot be completed with a passkey: the user has none.");
        }
        return TypedResults.Ok(await passkeys.RequestOptionsAsync(app.App, pending.UserId, PasskeyCeremonies.MfaScope(pending.Id), requireUserVerification: false, ct));
    }
}
