using Microsoft.AspNetCore;
using Latchkey.Server.Features.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Server.OpenIddictServerEvents;
using static OpenIddict.Server.OpenIddictServerHandlers;

namespace Latchkey.Server.Features.Oidc;

/// <summary>
/// One token service: the token endpoint answers the access and refresh tokens that
/// <c>/login</c> and <c>/token</c> hand out (<see cref="TokenResponse"/>), never OpenIddict's.
/// OpenIddict then builds only the ID token, and its <c>at_hash</c> is computed over ours.
/// </summary>
public sealed class LatchkeyTokensInAnswer : IOpenIddictServerHandler<ProcessSignInContext>
{
    private const string Key = "latchkey:oidc-tokens";

    public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<ProcessSignInContext>()
        .UseSingletonHandler<LatchkeyTokensInAnswer>()
        .SetOrder(EvaluateGeneratedTokens.Descriptor.Order + 1)
        .SetType(OpenIddictServerHandlerType.Custom)
        .Build();

    /// <summary>What the passthrough token endpoint hands to the sign-in (for this request only).</summary>
    public sealed record Issued(TokenResponse Tokens, bool IncludeRefreshToken, string? Scope);

    public static void Set(HttpContext http, Issued issued) => http.Items[Key] = issued;

    public ValueTask HandleAsync(ProcessSignInContext context)
    {
        if (context.EndpointType != OpenIddictServerEndpointType.Token
            || context.Transaction.GetHttpRequest()?.HttpContext.Items[Key] is not Issued issued)
        {
            return ValueTask.CompletedTask;
        }
        context.GenerateAccessToken = false;
        context.IncludeAccessToken = true;
        context.AccessToken = issued.Tokens.AccessToken;
        context.GenerateRefreshToken = false;
        context.IncludeRefreshToken = issued.IncludeRefreshToken;
        context.RefreshToken = issued.IncludeRefreshToken ? issued.Tokens.RefreshToken : null;
        return ValueTask.CompletedTask;
    }

    /// <summary>The fields OpenIddict takes from its own access token: lifetime and scope.</summary>
    public sealed class Lifetime : IOpenIddictServerHandler<ProcessSignInContext>
    {
        public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<ProcessSignInContext>()
            .UseSingletonHandler<Lifetime>()
            .SetOrder(AttachSignInParameters.Descriptor.Order + 1)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

        public ValueTask HandleAsync(ProcessSignInContext context)
        {
            if (context.EndpointType == OpenIddictServerEndpointType.Token
                && context.Transaction.GetHttpRequest()?.HttpContext.Items[Key] is Issued issued)
            {
                context.Response.ExpiresIn = issued.Tokens.ExpiresIn;
                context.Response.TokenType = OpenIddictConstants.TokenTypes.Bearer;
                if (issued.Scope is not null)
                {
                    context.Response.Scope = issued.Scope;
                }
            }
            return ValueTask.CompletedTask;
        }
    }
}
