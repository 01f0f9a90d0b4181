using System.Text.Json.Serialization;
using Latchkey.Server.Features.Apps;
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
                "and the session is revoked.");
        return app;
    }

    public sealed record RefreshRequest
    {
        // Note: checked in the handler, so that errors name the field as clients send it.
        [JsonPropertyName("refresh_token")]
        public string RefreshToken { get; init; } = "";
    }

    internal static async Task<Ok<TokenResponse>> RefreshAsync(CurrentApp app, RefreshRequest request, RefreshRotation rotation, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(request.RefreshToken) || request.RefreshToken.Length > 128)
        {
            throw Infrastructure.Problems.Problems.InvalidField("refresh_token", "refresh_token is required: the refresh token from the last token response.");
        }
        return TypedResults.Ok(await rotation.RefreshAsync(app.App, request.RefreshToken, ct));
    }
}
