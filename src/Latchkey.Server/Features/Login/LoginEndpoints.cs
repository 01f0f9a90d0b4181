using System.ComponentModel.DataAnnotations;
using System.Text.Json.Nodes;
using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.Passwords;
using Latchkey.Server.Features.Sessions;
using Latchkey.Server.Features.SignUp;
using Latchkey.Server.Features.Tokens;
using Latchkey.Server.Features.Users;
using Latchkey.Server.Infrastructure.KeyStore;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Server.Infrastructure.Problems;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Latchkey.Server.Features.Login;

public static class LoginEndpoints
{
    public static RouteGroupBuilder MapLoginEndpoints(this RouteGroupBuilder app)
    {
        app.MapPost("/login", LoginAsync)
            .WithSummary("Sign in with a handle (email, phone or user name) and password")
            .WithDescription("An unknown handle and a wrong password answer alike, in the same time: invalid_credentials.");
        return app;
    }

    public sealed record LoginRequest
    {
        [Required, MaxLength(EmailAddress.MaxLength)] public string Handle { get; init; } = "";
        // Note: an unknown handle and a wrong password answer alike, in the same time.
        [Required, MaxLength(4096)] public string Password { get; init; } = "";
        public Device? Device { get; init; }
        public JsonObject? Parameters { get; init; }
    }

    internal static async Task<Ok<TokenResponse>> LoginAsync(
        CurrentApp app,
        LoginRequest request,
        UserAccounts accounts,
        PasswordHasher hasher,
        UserKeyring keyring,
        SessionService sessions,
        VerificationFlows flows,
        LatchkeyDbContext db,
        CancellationToken ct)
    {
        var user = await accounts.FindByHandleAsync(app.App, request.Handle, request.Device?.Language?.Region, ct);
        // Note: an unknown user is checked against a decoy hash, so timing does not tell.
        var check = await hasher.VerifyAsync(user?.PasswordHash, request.Password, ct);
        if (user is null || check == PasswordCheck.Wrong)
        {
            throw Problems.InvalidCredentials();
        }
        if (user.Disabled)
        {
            throw Problems.UserDisabled();
        }
        if (check == PasswordCheck.ValidNeedsRehash)
        {
            user.PasswordHash = await hasher.HashAsync(request.Password, ct);
            await db.SaveChangesAsync(ct);
        }

        var key = await keyring.GetAsync(user.Id, ct);
        if (app.Settings.AccessMode == AccessModes.Registered && !user.EmailVerified && !user.PhoneVerified)
        {
            throw await flows.VerificationRequiredAsync(app.App, user, key, HandleInput.Language(request.Device), ct);
        }
        return TypedResults.Ok(await sessions.StartAsync(app.App, user, key, UserProfiles.View(user, key), request.Device, ct));
    }
}
