using System.Security.Claims;
using Latchkey.Server.Features.Auth;
using Latchkey.Server.Infrastructure.Http;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace Latchkey.Server.Features.AdminConsole;

/// <summary>
/// The console's own cookie scheme, apart from the API's bearer scheme: the API never reads the
/// cookie (so a browser cannot be tricked into calling it), and the console never reads bearer
/// tokens. The cookie names a real session (user, app, session id) that is checked on every
/// request by <see cref="ConsoleCookieEvents"/>.
/// </summary>
public static class ConsoleAuthentication
{
    public const string Scheme = "Console";
    public const string Policy = "Console";
    public const string LoginPath = "/console/login";
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(12);

    /// <summary>Why a cookie was turned away; the login page shows a sentence for each.</summary>
    public static class EndReasons
    {
        public const string Ended = "ended";
        public const string Disabled = "disabled";
        public const string Network = "network";
        public const string Access = "access";
        public const string SignedOut = "signedout";
    }

    internal const string EndReasonKey = "latchkey.console.end-reason";

    public static AuthenticationBuilder AddConsoleCookie(this AuthenticationBuilder authentication)
    {
        authentication.AddCookie(Scheme, o =>
        {
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.Path = "/";
            o.Cookie.IsEssential = true;
            // Note: an absolute lifetime: using the console does not extend it.
            o.ExpireTimeSpan = Lifetime;
            o.SlidingExpiration = false;
            o.LoginPath = LoginPath;
            o.LogoutPath = "/console/logout";
            o.AccessDeniedPath = LoginPath;
            o.ReturnUrlParameter = "returnUrl";
            o.EventsType = typeof(ConsoleCookieEvents);
        });
        var services = authentication.Services;
        services.AddScoped<ConsoleCookieEvents>();
        services.AddOptions<CookieAuthenticationOptions>(Scheme).Configure<PublicUrl>((o, publicUrl) =>
        {
            var secure = publicUrl.IsHttps;
            o.Cookie.SecurePolicy = secure ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
            // Note: the __Host- prefix makes browsers refuse the cookie unless it is Secure, for
            // path / and without a Domain: no sibling subdomain can plant or widen it.
            o.Cookie.Name = secure ? "__Host-latchkey-console" : "latchkey-console";
        });
        services.AddAntiforgery(o =>
        {
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.Path = "/";
        });
        services.AddOptions<AntiforgeryOptions>().Configure<PublicUrl>((o, publicUrl) =>
        {
            var secure = publicUrl.IsHttps;
            o.Cookie.SecurePolicy = secure ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
            o.Cookie.Name = secure ? "__Host-latchkey-csrf" : "latchkey-csrf";
        });
        services.AddAuthorizationBuilder().AddPolicy(Policy, p => p.AddAuthenticationSchemes(Scheme).RequireAuthenticatedUser());
        return authentication;
    }

    /// <summary>The principal the cookie holds: who, through which app, in which session.</summary>
    public static ClaimsPrincipal Principal(Guid userId, Guid sessionId, string appId, string role, string plan) =>
        new(new ClaimsIdentity(
        [
            new Claim(CallerClaims.UserId, userId.ToString()),
            new Claim(CallerClaims.SessionId, sessionId.ToString()),
            new Claim(CallerClaims.AppId, appId),
            new Claim(CallerClaims.Role, role),
            new Claim(CallerClaims.Plan, plan),
        ], Scheme, CallerClaims.UserId, CallerClaims.Role));
}
