using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Server.OpenIddictServerEvents;
using static OpenIddict.Server.OpenIddictServerHandlers.Session;

namespace Latchkey.Server.Features.Oidc;

/// <summary>
/// RP-initiated logout: a <c>post_logout_redirect_uri</c> is followed only when it is registered,
/// exactly, for the client named by <c>client_id</c> or by the <c>id_token_hint</c>'s audience
/// (which OpenIddict has checked against the app's keys by now); otherwise the request is refused
/// on a page, never redirected.
/// </summary>
public sealed class EndSessionRequestValidation(OidcClientLookup clients) : IOpenIddictServerHandler<ValidateEndSessionRequestContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateEndSessionRequestContext>()
        .UseScopedHandler<EndSessionRequestValidation>()
        .SetOrder(ValidateAuthentication.Descriptor.Order + 1)
        .SetType(OpenIddictServerHandlerType.Custom)
        .Build();

    public async ValueTask HandleAsync(ValidateEndSessionRequestContext context)
    {
        var hinted = context.IdentityTokenHintPrincipal?.GetAudiences().FirstOrDefault();
        var clientId = context.ClientId ?? hinted;
        if (context.ClientId is not null && hinted is not null && context.ClientId != hinted)
        {
            context.Reject(OpenIddictConstants.Errors.InvalidRequest, "The id_token_hint was issued to another client.");
            return;
        }
        if (string.IsNullOrEmpty(context.PostLogoutRedirectUri))
        {
            return;
        }
        var client = await clients.FindAsync(context.Transaction, clientId);
        if (client is null)
        {
            context.Reject(OpenIddictConstants.Errors.InvalidRequest, "A post_logout_redirect_uri needs the client_id or an id_token_hint of a client of this app.");
            return;
        }
        if (!client.PostLogoutRedirectUris.Contains(context.PostLogoutRedirectUri, StringComparer.Ordinal))
        {
            context.Reject(OpenIddictConstants.Errors.InvalidRequest, "The post_logout_redirect_uri is not one registered for this client.");
        }
    }
}
