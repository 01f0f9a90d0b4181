using System.Text.Json.Serialization;
using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.Pin;
using Latchkey.Server.Features.Sessions;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Latchkey.Server.Features.Tokens;

public static class TokenEndpoints
{
    public static RouteGroupBuilder MapTokenEndpoints(this RouteGroupBuilder app)
    {
        app.MapPost("/token", RefreshAsync)
            .WithSummary("Exchange a refresh token for new tokens")
            .WithDescription("Rotates the refresh token. The same token presented again within the app's reuse interval " +
                "answers the same new refresh token; later, or after its successor was used, it answers refresh_token_reused " +
                "and the session is revoked. Where the app uses PINs (S1), unloaded: true (the app was removed from memory) " +
                "or a long idle time answers pin_required without rotating; the same refresh token with pin then goes on.");
        return app;
    }

    public sealed record RefreshRequest
    {
        // Note: checked in the handler, so that errors name the field as clients send it.
        [JsonPropertyName("refresh_token")]
        public string RefreshToken { get; init; } = "";

        /// <summary>S1: the user's PIN, when the last answer was pin_required.</summary>
        public string? Pin { get; init; }

        /// <summary>S1: the app was removed from memory since its last call; where the user has a PIN, it is asked for.</summary>
        public bool Unloaded { get; init; }
    }

    internal static async Task<Ok<TokenResponse>> RefreshAsync(CurrentApp app, RefreshRequest request, RefreshRotation rotation, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(request.RefreshToken) || request.RefreshToken.Length > 128)
        {
            throw Infrastructure.Problems.Problems.InvalidField("refresh_token", "refresh_token is required: the refresh token from the last token response.");
        }
        if (request.Pin is { Length: > 64 })
        {
            throw Infrastructure.Problems.Problems.InvalidField("pin", "pin is at most 64 characters.");
        }
        return TypedResults.Ok(await rotation.RefreshAsync(app.App, request.RefreshToken, new PinUnlock(request.Pin, request.Unloaded), ct));
    }
}
