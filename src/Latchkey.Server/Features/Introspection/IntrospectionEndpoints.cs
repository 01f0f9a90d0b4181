using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.AppServerKeys;
using Latchkey.Server.Features.Auth;
using Latchkey.Server.Features.Tokens;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Server.Infrastructure.Problems;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Latchkey.Server.Features.Introspection;

/// <summary>
/// RFC 7662 introspection and RFC 7009 revocation for the app's own servers and its OpenID Connect
/// clients (<see cref="OAuthCaller"/>). Form-encoded, client authentication as RFC 6749 §2.3.1
/// says, and, as OAuth endpoints, RFC 6749 error bodies (<c>{"error": …}</c>) rather than problem+json.
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
            .WithSummary("RFC 7662 token introspection, for the app's servers and confidential clients")
            .WithDescription("Form fields token and token_type_hint (optional). HTTP Basic with an app server key (id:secret), or a " +
                "confidential OpenID Connect client's id and secret (client_secret_basic or client_secret_post). " +
                "An access or refresh token of this app whose session is live answers active: true with sub, sid, aud, iss, exp, " +
                "iat, client_id, scope (tokens of an OpenID Connect client), token_type (access tokens: Bearer), token_usage " +
                "(access_token or refresh_token), role and plan; a client_credentials token answers active: true with sub and " +
                "client_id (the client), scope, aud, iss, exp and iat while its client exists; anything else answers only active: false.");
        app.MapPost("/oauth/revoke", RevokeAsync).Accepts(ApiCredential.ServerKey)
            .WithSummary("RFC 7009 token revocation, for the app's servers and its OpenID Connect clients")
            .WithDescription("Form fields token and token_type_hint (optional). HTTP Basic with an app server key, a confidential " +
                "client's id and secret, or a public client's client_id alone in the form. A refresh token or an access token ends " +
                "its whole session (the refresh-token family); a client ends only its own sessions. Unknown tokens answer 200 too; " +
                "a client_credentials token answers 400 unsupported_token_type (it lives until it expires).");
        return app;
    }

    /// <summary>An RFC 6749 §5.2 error body.</summary>
    public sealed record OAuthError(
        [property: System.Text.Json.Serialization.JsonPropertyName("error")] string Error,
        [property: System.Text.Json.Serialization.JsonPropertyName("error_description")] string Description);

    internal static async Task<Results<Ok<Dictionary<string, object>>, JsonHttpResult<OAuthError>>> IntrospectAsync(
        CurrentApp app, HttpContext http, LatchkeyDbContext db, TokenIntrospection introspection, TimeProvider clock, CancellationToken ct)
    {
        var (caller, token, error) = await ReadAsync(app, http, db, clock, ct);
        if (error is not null)
        {
            return error;
        }
        if (!caller!.MayIntrospect)
        {
            return Error(StatusCodes.Status400BadRequest, "unauthorized_client", "A public client cannot introspect; the app's servers and confidential clients can.");
        }
        http.Response.Headers.CacheControl = "no-store";
        http.Response.Headers.Pragma = "no-cache";
        return TypedResults.Ok(await introspection.IntrospectAsync(app.App, token!, ct));
    }

    internal static async Task<Results<Ok, JsonHttpResult<OAuthError>>> RevokeAsync(
        CurrentApp app, HttpContext http, LatchkeyDbContext db, TokenIntrospection introspection, TimeProvider clock, CancellationToken ct)
    {
        var (caller, token, error) = await ReadAsync(app, http, db, clock, ct);
        if (error is not null)
        {
            return error;
        }
        if (!await introspection.RevokeAsync(app.App, token!, caller!.ClientId, ct))
        {
            // RFC 7009 §2.2.1: a client's own token is a JWT that lives until it expires.
            return Error(StatusCodes.Status400BadRequest, "unsupported_token_type",
                "A client_credentials token cannot be revoked; it expires with its exp.");
        }
        return TypedResults.Ok();
    }

    /// <summary>Authenticates the caller (<see cref="OAuthCaller"/>) and reads the form's token: both, or the RFC 6749 error to answer.</summary>
    private static async Task<(OAuthCaller? Caller, string? Token, JsonHttpResult<OAuthError>? Error)> ReadAsync(
        CurrentApp app, HttpContext http, LatchkeyDbContext db, TimeProvider clock, CancellationToken ct)
    {
        // Note: HTTP Basic is checked before the body is read; client_secret_post and a public client's id come in the form.
        var basic = AppServerKeyAuthentication.HasBasic(http.Request);
        OAuthCaller? caller = null;
        if (basic && (caller = await OAuthCaller.AuthenticateAsync(http.Request, form: null, app.Id, db, clock, ct)) is null)
        {
            return (null, null, InvalidClient(http, "The credentials are not valid for this app (an app server key or a client's id and secret)."));
        }
        IFormCollection? form = null;
        if (http.Request.HasFormContentType)
        {
            try
            {
                form = await http.Request.ReadFormAsync(ct);
            }
            catch (Exception e) when (e is InvalidDataException or IOException)
            {
                return (null, null, Error(StatusCodes.Status400BadRequest, "invalid_request", "The form could not be read."));
            }
        }
        if (!basic && (caller = await OAuthCaller.AuthenticateAsync(http.Request, form, app.Id, db, clock, ct)) is null)
        {
            return (null, null, InvalidClient(http,
                "Authenticate with an app server key over HTTP Basic (key id : secret), or as one of the app's OpenID Connect clients."));
        }
        if (form is null)
        {
            return (null, null, Error(StatusCodes.Status400BadRequest, "invalid_request", "The request must be form-encoded (application/x-www-form-urlencoded)."));
        }
        var token = form["token"];
        if (token.Count != 1 || string.IsNullOrEmpty(token[0]))
        {
            return (null, null, Error(StatusCodes.Status400BadRequest, "invalid_request", "Give the token in exactly one form field named token."));
        }
        if (token[0]!.Length > AccessTokenValidator.MaxLength)
        {
            return (null, null, Error(StatusCodes.Status400BadRequest, "invalid_request", "The token is too long to be one of this server's."));
        }
        return (caller, token[0], null);
    }

    private static JsonHttpResult<OAuthError> InvalidClient(HttpContext http, string description)
    {
        http.Response.Headers.WWWAuthenticate = "Basic realm=\"latchkey\", charset=\"UTF-8\"";
        return Error(StatusCodes.Status401Unauthorized, "invalid_client", description);
    }

    private static JsonHttpResult<OAuthError> Error(int status, string error, string description) =>
        TypedResults.Json(new OAuthError(error, description), statusCode: status);
}
