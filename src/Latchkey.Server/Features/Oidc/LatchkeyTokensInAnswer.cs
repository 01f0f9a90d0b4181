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
    public sealed record Issued(string AccessToken, int ExpiresIn, string? RefreshToken, string? Scope)
    {
        /// <summary>A user's tokens; the refresh token only where it is handed out (<c>offline_access</c>).</summary>
        public static Issued ForUser(TokenResponse tokens, bool includeRefreshToken) =>
            new(tokens.AccessToken, tokens.ExpiresIn, includeRefreshToken ? tokens.RefreshToken : null, tokens.Scope);
    }

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
        context.AccessToken = issued.AccessToken;
        context.GenerateRefreshToken = false;
        context.IncludeRefreshToken = issued.RefreshToken is not null;
        context.RefreshToken = issued.RefreshToken;
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
                context.Response.ExpiresIn = issued.ExpiresIn;
                context.Response.TokenType = OpenIddictConstants.TokenTypes.Bearer;
                // Note: OpenIddict would name its own access token's scopes; these are the ones Latchkey granted.
                context.Response.Scope = string.IsNullOrEmpty(issued.Scope) ? null : issued.Scope;
            }
            return ValueTask.CompletedTask;
        }
    }
}
