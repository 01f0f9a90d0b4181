using Latchkey.Server.Features.OidcClients;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Server.OpenIddictServerEvents;
using static OpenIddict.Server.OpenIddictServerHandlers;

namespace Latchkey.Server.Features.Oidc;

/// <summary>
/// Authenticates the client of a token request against the app's registry (degraded mode checks
/// none): a confidential client by its secret (<c>client_secret_basic</c> or <c>client_secret_post</c>,
/// which OpenIddict reads alike), a public client by its id alone, never with a secret. So only a
/// confidential client gets through to <c>client_credentials</c>, for which OpenIddict requires a secret.
/// </summary>
public sealed class TokenClientAuthentication(OidcClientLookup clients) : IOpenIddictServerHandler<ProcessAuthenticationContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<ProcessAuthenticationContext>()
        .UseScopedHandler<TokenClientAuthentication>()
        .SetOrder(ValidateClientId.Descriptor.Order + 1)
        .SetType(OpenIddictServerHandlerType.Custom)
        .Build();

    public async ValueTask HandleAsync(ProcessAuthenticationContext context)
    {
        if (context.EndpointType != OpenIddictServerEndpointType.Token)
        {
            return;
        }
        var client = await clients.FindAsync(context.Transaction, context.ClientId);
        if (client is null)
        {
            context.Reject(OpenIddictConstants.Errors.InvalidClient, "The client_id is not a client of this app.");
            return;
        }
        if (client.Type == OidcClientTypes.Confidential)
        {
            if (!OidcClientLookup.SecretMatches(client, context.ClientSecret))
            {
                context.Reject(OpenIddictConstants.Errors.InvalidClient, "The client's credentials are wrong or missing.");
            }
            return;
        }
        if (!string.IsNullOrEmpty(context.ClientSecret))
        {
            context.Reject(OpenIddictConstants.Errors.InvalidClient, "A public client has no secret; send its client_id alone.");
        }
    }
}
