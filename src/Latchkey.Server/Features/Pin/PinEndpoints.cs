using System.ComponentModel.DataAnnotations;
using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Latchkey.Server.Features.Pin;

/// <summary>The signed-in user's PIN (MISSION S1). How a refresh asks for it lives in <see cref="PinService"/>.</summary>
public static class PinEndpoints
{
    public static IServiceCollection AddPin(this IServiceCollection services)
    {
        services.AddScoped<PinService>();
        return services;
    }

    public static RouteGroupBuilder MapPinEndpoints(this RouteGroupBuilder app)
    {
        app.MapPut("/me/pin", SetAsync)
            .WithSummary("Set or replace the PIN")
            .WithDescription("Only where the app's pinEnabled setting is on. A PIN is 4 to 12 digits and not a trivial one " +
                "(0000, 1234, 1212…). Replacing a PIN needs currentPin, except within 10 minutes of a full sign-in " +
                "(the way back for a forgotten PIN). Wrong currentPin answers pin_required with attemptsLeft; too many, pin_locked.");
        app.MapDelete("/me/pin", RemoveAsync).WithSummary("Remove the PIN (needs currentPin, as replacing it does)");
        app.MapPost("/me/pin/verify", VerifyAsync)
            .WithSummary("Check the PIN, for apps that lock their own UI")
            .WithDescription("The right PIN answers 204 and unlocks the session for refreshes; a wrong one counts against the " +
                "session's attempts like a wrong PIN at /token.");
        return app;
    }

    public sealed record SetPinRequest
    {
        [MaxLength(64)] public string? Pin { get; init; }
        [MaxLength(64)] public string? CurrentPin { get; init; }
    }

    public sealed record RemovePinRequest
    {
        [MaxLength(64)] public string? CurrentPin { get; init; }
    }

    public sealed record VerifyPinRequest
    {
        [MaxLength(64)] public string? Pin { get; init; }
    }

    internal static async Task<NoContent> SetAsync(CurrentApp app, Caller caller, SetPinRequest request, PinService pins, CancellationToken ct)
    {
        await pins.SetAsync(app.App, caller.UserId, caller.SessionId, request.Pin, request.CurrentPin, ct);
        return TypedResults.NoContent();
    }

    internal static async Task<NoContent> RemoveAsync(
        CurrentApp app, Caller caller, [FromBody] RemovePinRequest? request, PinService pins, CancellationToken ct)
    {
        await pins.RemoveAsync(app.App, caller.UserId, caller.SessionId, request?.CurrentPin, ct);
        return TypedResults.NoContent();
    }

    internal static async Task<NoContent> VerifyAsync(CurrentApp app, Caller caller, VerifyPinRequest request, PinService pins, CancellationToken ct)
    {
        await pins.VerifyForCallerAsync(app.App, caller.UserId, caller.SessionId, request.Pin, ct);
        return TypedResults.NoContent();
    }
}
