using Latchkey.Server.Features.OidcClients;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Server.OpenIddictServerEvents;
using static OpenIddict.Server.OpenIddictServerHandlers.Authentication;

namespace Latchkey.Server.Features.Oidc;

/// <summary>
/// Checks an authorization request against the app's client registry, right after OpenIddict
/// checked the redirect URI's syntax: an unknown client or a redirect URI not registered for it is
/// refused without a redirect (an error page). From then on the redirect URI is trusted, and every
/// later refusal (PKCE, response type, scope, oversized state) goes back to it
/// (<see cref="TrustedRedirectErrors"/>).
/// </summary>
public sealed class AuthorizationRequestValidation(OidcClientLookup clients) : IOpenIddictServerHandler<ValidateAuthorizationRequestContext>
{
    public const string TrustedRedirectProperty = "latchkey:trusted-redirect-uri";

    /// <summary>Generous for any client library's state or nonce, small enough that a request URL stays a URL.</summary>
    public const int MaxStateLength = 2048;
    public const int MaxNonceLength = 512;

    public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateAuthorizationRequestContext>()
        .UseScopedHandler<AuthorizationRequestValidation>()
        .SetOrder(ValidateRedirectUriParameter.Descriptor.Order + 1)
        .SetType(OpenIddictServerHandlerType.Custom)
        .Build();

    public async ValueTask HandleAsync(ValidateAuthorizationRequestContext context)
    {
        var client = await clients.FindAsync(context.Transaction, context.ClientId);
        if (client is null)
        {
            context.Reject(OpenIddictConstants.Errors.InvalidClient, "The client_id is not a client of this app.");
            return;
        }
        var redirectUri = context.Request.RedirectUri;
        if (string.IsNullOrEmpty(redirectUri))
        {
            context.Reject(OpenIddictConstants.Errors.InvalidRequest, "The redirect_uri parameter is required.");
            return;
        }
        if (!RedirectUris.Matches(client.RedirectUris, redirectUri))
        {
            context.Reject(OpenIddictConstants.Errors.InvalidRequest, "The redirect_uri is not one registered for this client.");
            return;
        }
        context.Transaction.SetProperty(TrustedRedirectProperty, redirectUri);
        if (context.Request.State is { Length: > MaxStateLength })
        {
            context.Reject(OpenIddictConstants.Errors.InvalidRequest, $"The state parameter is longer than {MaxStateLength} characters.");
            return;
        }
        if (context.Request.Nonce is { Length: > MaxNonceLength })
        {
            context.Reject(OpenIddictConstants.Errors.InvalidRequest, $"The nonce parameter is longer than {MaxNonceLength} characters.");
            return;
        }
        var refused = OidcClientLookup.RefusedScopes(client, context.Request.GetScopes());
        if (refused.Count > 0)
        {
            context.Reject(OpenIddictConstants.Errors.InvalidScope, $"This client may not ask for: {string.Join(' ', refused)}.");
        }
    }
}

/// <summary>
/// Sends a refusal back to the client once its redirect URI was trusted: OpenIddict redirects only
/// an accepted request, so a missing or <c>plain</c> PKCE challenge would otherwise stop at a page.
/// An untrusted redirect URI never gets here (RFC 6749 §4.1.2.1: no open redirect).
/// </summary>
public sealed class TrustedRedirectErrors : IOpenIddictServerHandler<ApplyAuthorizationResponseContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<ApplyAuthorizationResponseContext>()
        .UseSingletonHandler<TrustedRedirectErrors>()
        .SetOrder(AttachRedirectUri.Descriptor.Order + 1)
        .SetType(OpenIddictServerHandlerType.Custom)
        .Build();

    public ValueTask HandleAsync(ApplyAuthorizationResponseContext context)
    {
        if (string.IsNullOrEmpty(context.RedirectUri) && !string.IsNullOrEmpty(context.Response.Error)
            && context.Transaction.GetProperty<string>(AuthorizationRequestValidation.TrustedRedirectProperty) is { } trusted)
        {
            context.RedirectUri = trusted;
        }
        return ValueTask.CompletedTask;
    }
}
