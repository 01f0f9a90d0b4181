using System.Security.Claims;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Server.OpenIddictServerEvents;
using static OpenIddict.Server.OpenIddictServerHandlers.Protection;

namespace Latchkey.Server.Features.Oidc;

/// <summary>
/// Latchkey's refresh tokens are opaque, not OpenIddict's JWTs: a token that is no JWT is let
/// through here as a principal that says nothing but its type and client, and the passthrough
/// token endpoint rotates it with <see cref="Sessions.RefreshRotation"/>, which alone decides
/// whether it is known, live, reused or another client's (one lookup on the refresh path).
/// </summary>
public sealed class RefreshTokenPlaceholder : IOpenIddictServerHandler<ValidateTokenContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateTokenContext>()
        .UseSingletonHandler<RefreshTokenPlaceholder>()
        .SetOrder(ValidateIdentityModelToken.Descriptor.Order - 1)
        .SetType(OpenIddictServerHandlerType.Custom)
        .Build();

    public ValueTask HandleAsync(ValidateTokenContext context)
    {
        if (context.Principal is null && context.ValidTokenTypes.Count == 1
            && context.ValidTokenTypes.Contains(OpenIddictConstants.TokenTypeIdentifiers.RefreshToken)
            && !string.IsNullOrEmpty(context.Token) && !context.Token.Contains('.'))
        {
            var identity = new ClaimsIdentity(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
            var principal = new ClaimsPrincipal(identity).SetTokenType(OpenIddictConstants.TokenTypeIdentifiers.RefreshToken);
            if (context.Request?.ClientId is { Length: > 0 } clientId)
            {
                principal.SetPresenters(clientId);
            }
            context.Principal = principal;
        }
        return ValueTask.CompletedTask;
    }
}
