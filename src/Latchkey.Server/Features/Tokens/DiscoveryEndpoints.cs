using System.Collections.Concurrent;
using System.Text.Json;
using Latchkey.Server.Features.Apps;
using Latchkey.Server.Infrastructure.Http;

namespace Latchkey.Server.Features.Tokens;

/// <summary>The app as a token issuer: its JWKS and OIDC discovery document.</summary>
public static class DiscoveryEndpoints
{
    public static RouteGroupBuilder MapDiscoveryEndpoints(this RouteGroupBuilder app)
    {
        app.MapGet("/.well-known/jwks.json", JwksAsync).Produces<Jwks>().Produces(StatusCodes.Status304NotModified)
            .WithSummary("The app's public signing keys (JWKS); answers 304 to If-None-Match with its ETag");
        app.MapGet("/.well-known/openid-configuration", Discovery).Produces<Dictionary<string, object>>().Produces(StatusCodes.Status304NotModified)
            .WithSummary("The app as an OpenID Connect issuer; answers 304 to If-None-Match with its ETag");
        return app;
    }

    public sealed record Jwks(IReadOnlyList<Jwk> Keys);

    public sealed record Jwk(string Kty, string Crv, string X, string Y, string Kid, string Use, string Alg);

    /// <summary>What resource servers may cache (RFC 7517 documents carry no expiry of their own).</summary>
    internal const string CacheControl = "public, max-age=300";

    internal static async Task<IResult> JwksAsync(CurrentApp app, SigningKeys keys, JwksDocuments documents, HttpContext http, CancellationToken ct) =>
        (await documents.GetAsync(app.Id, keys, ct)).Answer(http, CacheControl);

    internal static IResult Discovery(CurrentApp app, Issuers issuers, HttpContext http) =>
        DiscoveryDocuments.For(issuers.For(app.Id)).Answer(http, CacheControl);

    /// <summary>The discovery document of each issuer, built once: it depends on nothing but the issuer URL.</summary>
    private static class DiscoveryDocuments
    {
        // Note: one per app and public URL; the bound only keeps a flood of unknown names from growing it.
        private const int Most = 100_000;
        private static readonly ConcurrentDictionary<string, CachedJson> Documents = new(StringComparer.Ordinal);

        public static CachedJson For(string issuer) =>
            Documents.TryGetValue(issuer, out var known) ? known
            : Documents.Count < Most ? Documents.GetOrAdd(issuer, Build)
            : Build(issuer);

        private static CachedJson Build(string issuer) => new(JsonSerializer.SerializeToUtf8Bytes(Document(issuer)));
    }

    private static Dictionary<string, object> Document(string issuer) =>
        new()
        {
            ["issuer"] = issuer,
            ["jwks_uri"] = $"{issuer}/.well-known/jwks.json",
            // X1: every app is an OpenID Connect provider (Features/Oidc); Latchkey's JSON API (/login, /token) stays beside it.
            ["authorization_endpoint"] = $"{issuer}/{Oidc.OidcPaths.Authorize}",
            ["token_endpoint"] = $"{issuer}/{Oidc.OidcPaths.Token}",
            ["userinfo_endpoint"] = $"{issuer}/{Oidc.OidcPaths.UserInfo}",
            ["end_session_endpoint"] = $"{issuer}/{Oidc.OidcPaths.EndSession}",
            ["scopes_supported"] = Oidc.OidcClientLookup.StandardScopes,
            ["grant_types_supported"] = new[] { "authorization_code", "refresh_token", "client_credentials" },
            ["response_types_supported"] = new[] { "code" },
            ["response_modes_supported"] = new[] { "query", "fragment", "form_post" },
            ["code_challenge_methods_supported"] = new[] { "S256" },
            ["prompt_values_supported"] = new[] { "none", "login" },
            ["subject_types_supported"] = new[] { "public" },
            ["id_token_signing_alg_values_supported"] = new[] { SigningKeys.Es256 },
            ["token_endpoint_auth_methods_supported"] = new[] { "none", "client_secret_basic", "client_secret_post" },
            // RFC 9207: authorization responses name their issuer.
            ["authorization_response_iss_parameter_supported"] = true,
            ["claims_parameter_supported"] = false,
            ["request_parameter_supported"] = false,
            ["request_uri_parameter_supported"] = false,
            // RFC 8414: the app's servers (an app server key over HTTP Basic) and confidential clients introspect;
            // they and public clients (their client_id alone) revoke.
            ["introspection_endpoint"] = $"{issuer}/oauth/introspect",
            ["introspection_endpoint_auth_methods_supported"] = new[] { "client_secret_basic", "client_secret_post" },
            ["revocation_endpoint"] = $"{issuer}/oauth/revoke",
            ["revocation_endpoint_auth_methods_supported"] = new[] { "none", "client_secret_basic", "client_secret_post" },
            ["claims_supported"] = new[]
            {
                "iss", "aud", "sub", "sid", "iat", "exp", "auth_time", "amr", "nonce", "at_hash", "role", "plan",
                "email", "email_verified", "phone_number", "phone_number_verified", "preferred_username",
            },
        };
}
