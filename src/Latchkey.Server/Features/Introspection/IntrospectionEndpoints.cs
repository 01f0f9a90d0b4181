using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.AppServerKeys;
using Latchkey.Server.Features.Auth;
using Latchkey.Server.Features.Tokens;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Server.Infrastructure.Problems;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Latchkey.Server.Features.Introspection;

/// <summary>
/// RFC 7662 introspection and RFC 7009 revocation for the app's own servers. Form-encoded, client
/// authentication with an app server key over HTTP Basic (RFC 6749 §2.3.1), and, as OAuth
/// endpoints, RFC 6749 error bodies (<c>{"error": …}</c>) rather than problem+json.
/// </summary>
public static class IntrospectionEndpoints
{
    public static IServiceCollection AddIntrospection(this IServiceCollection services)
    {
        services.AddScoped<TokenIntrospection>();
        return services;
    }

    public static RouteGroupBuilder MapIntrospectionEndpoints(this RouteGroupBuilder app)
    {
        app.MapPost("/oauth/introspect", IntrospectAsync).Accepts(ApiCredential.ServerKey)
            .WithSummary("RFC 7662 token introspection, for the app's servers")
            .WithDescription("Form fields token and token_type_hint (optional). HTTP Basic with an app server key (id:secret). " +
                "An access or refresh token of this app whose session is live answers active: true with sub, sid, aud, iss, exp, " +
                "iat, client_id, token_type (access tokens: Bearer), token_usage (access_token or refresh_token), role and plan; " +
                "anything else answers only active: false.");
        app.MapPost("/oauth/revoke", RevokeAsync).Accepts(ApiCredential.ServerKey)
            .WithSummary("RFC 7009 token revocation, for the app's servers")
            .WithDescription("Form fields token and token_type_hint (optional), HTTP Basic with an app server key. A refresh token " +
                "or an access token ends its whole session (the refresh-token family). Unknown tokens answer 200 too.");
        return app;
    }

    /// <summary>An RFC 6749 §5.2 error body.</summary>
    public sealed record OAuthError(
        [property: System.Text.Json.Serialization.JsonPropertyName("error")] string Error,
        [property: System.Text.Json.Serialization.JsonPropertyName("error_description")] string Description);

    internal static async Task<Results<Ok<Dictionary<string, object>>, JsonHttpResult<OAuthError>>> IntrospectAsync(
        CurrentApp app, HttpContext http, LatchkeyDbContext db, TokenIntrospection introspection, TimeProvider clock, CancellationToken ct)
    {
        var (token, error) = await ReadAsync(app, http, db, clock, ct);
        if (error is not null)
        {
            return error;
        }
        http.Response.Headers.CacheControl = "no-store";
        http.Response.Headers.Pragma = "no-cache";
        return TypedResults.Ok(await introspection.IntrospectAsync(app.App, token!, ct));
    }

    internal static async Task<Results<Ok, JsonHttpResult<OAuthError>>> RevokeAsync(
        CurrentApp app, HttpContext http, LatchkeyDbContext db, TokenIntrospection introspection, TimeProvider clock, CancellationToken ct)
    {
        var (token, error) = await ReadAsync(app, http, db, clock, ct);
        if (error is not null)
        {
            return error;
        }
        await introspection.RevokeAsync(app.App, token!, ct);
        return TypedResults.Ok();
    }

    /// <summary>Authenticates the app server, then reads the form's token: the token, or the RFC 6749 error to answer.</summary>
    private static async Task<(string? Token, JsonHttpResult<OAuthError>? Error)> ReadAsync(
        CurrentApp app, HttpContext http, LatchkeyDbContext db, TimeProvider clock, CancellationToken ct)
    {
        if (!AppServerKeyAuthentication.HasBasic(http.Request))
        {
            return (null, InvalidClient(http, "Authenticate with an app server key over HTTP Basic (key id : secret)."));
        }
        try
        {
            await AppServerKeyAuthentication.AuthenticateAsync(http.Request, app.Id, db, clock, ct);
        }
        catch (ProblemException e) when (e.Status == StatusCodes.Status401Unauthorized)
        {
            return (null, InvalidClient(http, "The app server key is not valid for this app."));
        }

        if (!http.Request.HasFormContentType)
        {
            return (null, Error(StatusCodes.Status400BadRequest, "invalid_request", "The request must be form-encoded (application/x-www-form-urlencoded)."));
        }
        IFormCollection form;
        try
        {
            form = await http.Request.ReadFormAsync(ct);
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            return (null, Error(StatusCodes.Status400BadRequest, "invalid_request", "The form could not be read."));
        }
        var token = form["token"];
        if (token.Count != 1 || string.IsNullOrEmpty(token[0]))
        {
            return (null, Error(StatusCodes.Status400BadRequest, "invalid_request", "Give the token in exactly one form field named token."));
        }
        if (token[0]!.Length > AccessTokenValidator.MaxLength)
        {
            return (null, Error(StatusCodes.Status400BadRequest, "invalid_request", "The token is too long to be one of this server's."));
        }
        return (token[0], null);
    }

    private static JsonHttpResult<OAuthError> InvalidClient(HttpContext http, string description)
    {
        http.Response.Headers.WWWAuthenticate = "Basic realm=\"latchkey\", charset=\"UTF-8\"";
        return Error(StatusCodes.Status401Unauthorized, "invalid_client", description);
    }

    private static JsonHttpResult<OAuthError> Error(int status, string error, string description) =>
        TypedResults.Json(new OAuthError(error, description), statusCode: status);
}
