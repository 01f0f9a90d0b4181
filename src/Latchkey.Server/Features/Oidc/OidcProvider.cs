using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using OpenIddict.Server;
using OpenIddict.Server.AspNetCore;

namespace Latchkey.Server.Features.Oidc;

/// <summary>
/// Every app as a standard OpenID Connect provider (MISSION X1), on one OpenIddict server in
/// degraded mode: no OpenIddict stores (its client ids are global and its token tables would
/// duplicate sessions); the app's client registry, sessions and refresh rotation are Latchkey's.
/// OpenIddict owns the protocol: parameters, PKCE, codes, error bodies and the ID token.
/// </summary>
public static class OidcProvider
{
    public const string Scheme = OpenIddictServerAspNetCoreDefaults.AuthenticationScheme;

    /// <summary>Authorization codes live at most this long (the issue: at most 60 s).</summary>
    public static readonly TimeSpan CodeLifetime = TimeSpan.FromSeconds(60);

    public static IServiceCollection AddOidcProvider(this IServiceCollection services)
    {
        services.AddSingleton<OidcServerKeyRing>();
        services.AddSingleton<IConfigureOptions<OpenIddictServerOptions>, OidcServerKeyRing.IntoOptions>();
        services.AddScoped<OidcClientLookup>();
        services.AddSingleton<OidcClients.OidcClientCache>();
        services.AddScoped<OidcCodeRedemptions>();
        services.AddSingleton<BrowserSessions>();
        services.AddSingleton<FirstFactorSeal>();
        // Note: OpenIddict sees only its own endpoints (UseOidcProvider); no other request pays for it.
        services.AddSingleton<IAuthenticationSchemeProvider, ProtocolSchemesOnlyOnProtocolPaths>();

        services.AddOpenIddict().AddServer(server =>
        {
            server.EnableDegradedMode();
            server.SetAuthorizationEndpointUris(OidcPaths.Authorize)
                .SetTokenEndpointUris(OidcPaths.Token)
                .SetEndSessionEndpointUris(OidcPaths.EndSession);
            server.AllowAuthorizationCodeFlow().AllowRefreshTokenFlow().AllowClientCredentialsFlow();
            server.RequireProofKeyForCodeExchange();
            // Note: scopes are the client registry's (AuthorizationRequestValidation), per app.
            server.DisableScopeValidation();
            server.SetAuthorizationCodeLifetime(CodeLifetime);
            server.Configure(options =>
            {
                // S256 only: "plain" gives nothing against a code stolen on the device.
                options.CodeChallengeMethods.Clear();
                options.CodeChallengeMethods.Add(OpenIddict.Abstractions.OpenIddictConstants.CodeChallengeMethods.Sha256);
            });

            server.AddEventHandler(AppIssuerHandler.Descriptor);
            server.AddEventHandler(AuthorizationRequestValidation.Descriptor);
            server.AddEventHandler(TrustedRedirectErrors.Descriptor);
            server.AddEventHandler(TokenClientAuthentication.Descriptor);
            server.AddEventHandler(EndSessionRequestValidation.Descriptor);
            server.AddEventHandler(RefreshTokenPlaceholder.Descriptor);
            server.AddEventHandler(AppIdentityTokenSigning.Descriptor);
            server.AddEventHandler(AppIdentityTokenValidation.Descriptor);
            server.AddEventHandler(LatchkeyTokensInAnswer.Descriptor);
            server.AddEventHandler(LatchkeyTokensInAnswer.Lifetime.Descriptor);

            server.UseAspNetCore()
                .EnableAuthorizationEndpointPassthrough()
                .EnableTokenEndpointPassthrough()
                .EnableEndSessionEndpointPassthrough()
                // An authorization request that cannot be redirected comes to Latchkey's error page.
                .EnableErrorPassthrough()
                // Note: TLS is the public URL's business (LATCHKEY_PUBLIC_URL, often behind a proxy that ends it).
                .DisableTransportSecurityRequirement();
        });
        return services;
    }

    /// <summary>
    /// Refuses a protocol request the standard way: OpenIddict answers it (an RFC 6749 error body at
    /// the token endpoint, an error redirect to a trusted redirect URI at the authorization endpoint).
    /// </summary>
    public static IResult Refuse(string error, string description) =>
        Results.Forbid(new AuthenticationProperties(new Dictionary<string, string?>
        {
            [OpenIddictServerAspNetCoreConstants.Properties.Error] = error,
            [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = description,
        }), [Scheme]);

    /// <summary>
    /// Runs OpenIddict for the requests to its endpoints only, before authentication: the bearer
    /// check, JWKS and refresh paths never create an OpenIddict transaction.
    /// </summary>
    public static IApplicationBuilder UseOidcProvider(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            if (OidcPaths.TryGetProtocolAppId(context.Request.Path, out _))
            {
                var handlers = context.RequestServices.GetRequiredService<IAuthenticationHandlerProvider>();
                if (await handlers.GetHandlerAsync(context, Scheme) is IAuthenticationRequestHandler handler && await handler.HandleRequestAsync())
                {
                    return;
                }
                if (context.GetOpenIddictServerResponse()?.Error is not null && !context.Response.HasStarted)
                {
                    // An error passed through to Latchkey's page, which sets its own status: a 400
                    // already set here would read as a failed parameter binding and skip the endpoint.
                    context.Response.StatusCode = StatusCodes.Status200OK;
                }
            }
            await next(context);
        });

    /// <summary>
    /// Keeps OpenIddict out of the authentication middleware's per-request loop over request
    /// handlers (<see cref="UseOidcProvider"/> calls it where it belongs).
    /// </summary>
    private sealed class ProtocolSchemesOnlyOnProtocolPaths(IOptions<AuthenticationOptions> options) : AuthenticationSchemeProvider(options)
    {
        private Filtered? _filtered;

        public override async Task<IEnumerable<AuthenticationScheme>> GetRequestHandlerSchemesAsync()
        {
            // Note: the base answers the same array until a scheme is added: filtered once per array.
            var all = await base.GetRequestHandlerSchemesAsync();
            var filtered = _filtered;
            if (filtered is null || !ReferenceEquals(filtered.All, all))
            {
                _filtered = filtered = new Filtered(all, all.Where(s => s.Name != Scheme).ToArray());
            }
            return filtered.Others;
        }

        private sealed record Filtered(IEnumerable<AuthenticationScheme> All, AuthenticationScheme[] Others);
    }
}
