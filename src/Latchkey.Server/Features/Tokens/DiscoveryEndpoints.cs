using Latchkey.Server.Features.Apps;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.IdentityModel.Tokens;

namespace Latchkey.Server.Features.Tokens;

/// <summary>The app as a token issuer: its JWKS and OIDC discovery document.</summary>
public static class DiscoveryEndpoints
{
    public static RouteGroupBuilder MapDiscoveryEndpoints(this RouteGroupBuilder app)
    {
        app.MapGet("/.well-known/jwks.json", JwksAsync).WithSummary("The app's public signing keys (JWKS)");
        app.MapGet("/.well-known/openid-configuration", Discovery).WithSummary("The app as an OpenID Connect issuer");
        return app;
    }

    public sealed record Jwks(IReadOnlyList<Jwk> Keys);

    public sealed record Jwk(string Kty, string Crv, string X, string Y, string Kid, string Use, string Alg);

    internal static async Task<Ok<Jwks>> JwksAsync(CurrentApp app, SigningKeys keys, SigningKeyCache cache, HttpContext http, CancellationToken ct)
    {
        var published = await keys.GetPublishedAsync(app.Id, ct);
        var jwks = published.Select(row =>
        {
            var parameters = cache.PublicKey(row.Id, () => SigningKeys.OpenPublicKey(row)).ECDsa.ExportParameters(includePrivateParameters: false);
            return new Jwk("EC", "P-256", Base64UrlEncoder.Encode(parameters.Q.X), Base64UrlEncoder.Encode(parameters.Q.Y), row.Id, "sig", row.Algorithm);
        }).ToList();
        http.Response.Headers.CacheControl = "public, max-age=300";
        return TypedResults.Ok(new Jwks(jwks));
    }

    internal static Ok<Dictionary<string, object>> Discovery(CurrentApp app, Issuers issuers)
    {
        var issuer = issuers.For(app.Id);
        return TypedResults.Ok(new Dictionary<string, object>
        {
            ["issuer"] = issuer,
            ["jwks_uri"] = $"{issuer}/.well-known/jwks.json",
            ["token_endpoint"] = $"{issuer}/token",
            ["grant_types_supported"] = new[] { "refresh_token" },
            ["response_types_supported"] = new[] { "code" },
            ["subject_types_supported"] = new[] { "public" },
            ["id_token_signing_alg_values_supported"] = new[] { SigningKeys.Es256 },
            ["token_endpoint_auth_methods_supported"] = new[] { "none" },
            // RFC 8414: the app's servers introspect and revoke with an app server key over HTTP Basic.
            ["introspection_endpoint"] = $"{issuer}/oauth/introspect",
            ["introspection_endpoint_auth_methods_supported"] = new[] { "client_secret_basic" },
            ["revocation_endpoint"] = $"{issuer}/oauth/revoke",
            ["revocation_endpoint_auth_methods_supported"] = new[] { "client_secret_basic" },
            ["claims_supported"] = new[] { "iss", "aud", "sub", "sid", "iat", "exp", "role", "plan" },
        });
    }
}
