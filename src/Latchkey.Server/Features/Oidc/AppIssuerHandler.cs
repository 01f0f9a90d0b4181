using Microsoft.AspNetCore;
using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.Tokens;
using Latchkey.Server.Infrastructure.Persistence;
using OpenIddict.Server;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace Latchkey.Server.Features.Oidc;

/// <summary>
/// One OpenIddict server, one issuer per app: each request's base URI becomes its app's issuer
/// (OpenIddict's issuer is <c>Options.Issuer ?? BaseUri</c>, and <c>SetIssuer</c> is never called),
/// and its request URI is rebased on the public URL, never the request's Host header. A request
/// for an unknown app is left to routing, which answers 404 <c>app_not_found</c>.
/// </summary>
public sealed class AppIssuerHandler(Issuers issuers, AppCache apps, LatchkeyDbContext db) : IOpenIddictServerHandler<ProcessRequestContext>
{
    public const string AppProperty = "latchkey:app";

    public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<ProcessRequestContext>()
        .UseScopedHandler<AppIssuerHandler>()
        .SetOrder(OpenIddictServerAspNetCoreHandlers.ResolveRequestUri.Descriptor.Order + 1)
        .SetType(OpenIddictServerHandlerType.Custom)
        .Build();

    public async ValueTask HandleAsync(ProcessRequestContext context)
    {
        var request = context.Transaction.GetHttpRequest()!;
        var app = OidcPaths.TryGetProtocolAppId(request.Path, out var appId) && AppIds.IsValid(appId)
            ? await apps.FindAsync(appId, db, request.HttpContext.RequestAborted)
            : null;
        if (app is null)
        {
            context.SkipRequest();
            return;
        }
        db.TenantAppId = app.Id;
        context.Transaction.SetProperty(AppProperty, app);
        context.BaseUri = new Uri(issuers.For(app.Id));
        context.RequestUri = new Uri(issuers.PublicUrl + request.Path + request.QueryString);
    }
}

public static class OidcTransactions
{
    /// <summary>The app <see cref="AppIssuerHandler"/> found for this request.</summary>
    public static App App(this OpenIddictServerTransaction transaction) =>
        transaction.GetProperty<App>(AppIssuerHandler.AppProperty) ?? throw new InvalidOperationException("The request has no app.");
}
