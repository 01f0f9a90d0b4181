using Latchkey.Server.Features.Tokens;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Server.OpenIddictServerEvents;
using static OpenIddict.Server.OpenIddictServerHandlers.Protection;

namespace Latchkey.Server.Features.Oidc;

/// <summary>
/// ID tokens are signed with the app's own ES256 key, the one its JWKS publishes (OpenIddict's
/// server-wide key signs only authorization codes, which no client reads).
/// </summary>
public sealed class AppIdentityTokenSigning(SigningKeys keys) : IOpenIddictServerHandler<GenerateTokenContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<GenerateTokenContext>()
        .UseScopedHandler<AppIdentityTokenSigning>()
        .SetOrder(AttachSecurityCredentials.Descriptor.Order + 1)
        .SetType(OpenIddictServerHandlerType.Custom)
        .Build();

    public async ValueTask HandleAsync(GenerateTokenContext context)
    {
        if (context.TokenType != OpenIddictConstants.TokenTypeIdentifiers.IdentityToken)
        {
            return;
        }
        var key = await keys.GetActiveAsync(context.Transaction.App().Id, context.CancellationToken);
        context.SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.EcdsaSha256);
    }
}

/// <summary>
/// An <c>id_token_hint</c> (end-session) is checked against the app's published keys: the ones
/// its ID tokens were signed with, not OpenIddict's server-wide key.
/// </summary>
public sealed class AppIdentityTokenValidation(SigningKeys keys) : IOpenIddictServerHandler<ValidateTokenContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateTokenContext>()
        .UseScopedHandler<AppIdentityTokenValidation>()
        .SetOrder(ResolveTokenValidationParameters.Descriptor.Order + 1)
        .SetType(OpenIddictServerHandlerType.Custom)
        .Build();

    public async ValueTask HandleAsync(ValidateTokenContext context)
    {
        if (!context.ValidTokenTypes.Contains(OpenIddictConstants.TokenTypeIdentifiers.IdentityToken))
        {
            return;
        }
        var published = await keys.GetPublishedAsync(context.Transaction.App().Id, context.CancellationToken);
        context.TokenValidationParameters.IssuerSigningKeys = published.Select(SigningKeys.OpenPublicKey).ToList();
    }
}
