using System.Text.Json;
using Latchkey.Server.Features.Apps;
using Latchkey.Server.Infrastructure.Http;
using Microsoft.AspNetCore.DataProtection;

namespace Latchkey.Server.Features.Oidc;

/// <summary>
/// The provider's browser session per app: who signed in on the sign-in page and when, so that
/// another client of the same app signs in without a password (<c>prompt=none</c>, SSO), unless
/// the request asks again (<c>prompt=login</c>, <c>max_age</c>). A cookie scoped to the app's
/// provider path, protected by ASP.NET Core data protection (keys in the database, wrapped by the
/// master key), so every node reads it. It holds no token: each code is still a new session.
/// </summary>
public sealed class BrowserSessions(IDataProtectionProvider protection, PublicUrl publicUrl, TimeProvider clock)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(14);

    private readonly IDataProtector _protector = protection.CreateProtector("latchkey:oidc-browser-session:v1");

    public sealed record Signed(Guid UserId, long AuthTime, string[] Amr, string AppId, long ExpiresAt);

    private static string CookieName(string appId) => "latchkey-sso-" + appId;

    private string CookiePath(string appId) => publicUrl.Uri.AbsolutePath.TrimEnd('/') + $"/v1/apps/{appId}/oauth";

    public Signed? Read(HttpContext http, App app)
    {
        if (!http.Request.Cookies.TryGetValue(CookieName(app.Id), out var value) || value.Length > 4096)
        {
            return null;
        }
        try
        {
            var signed = JsonSerializer.Deserialize<Signed>(_protector.Unprotect(value));
            return signed is not null && signed.AppId == app.Id && signed.ExpiresAt > clock.GetUtcNow().ToUnixTimeSeconds() ? signed : null;
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or JsonException or FormatException)
        {
            return null;
        }
    }

    public Signed Write(HttpContext http, App app, Guid userId, string[] amr)
    {
        var now = clock.GetUtcNow();
        var signed = new Signed(userId, now.ToUnixTimeSeconds(), amr, app.Id, (now + Lifetime).ToUnixTimeSeconds());
        http.Response.Cookies.Append(CookieName(app.Id), _protector.Protect(JsonSerializer.Serialize(signed)), Options(app.Id, now + Lifetime));
        return signed;
    }

    public void End(HttpContext http, App app) => http.Response.Cookies.Delete(CookieName(app.Id), Options(app.Id, null));

    private CookieOptions Options(string appId, DateTimeOffset? expires) => new()
    {
        HttpOnly = true,
        Secure = publicUrl.IsHttps,
        // Note: Lax, so the app's top-level navigation to the authorization endpoint carries it.
        SameSite = SameSiteMode.Lax,
        Path = CookiePath(appId),
        Expires = expires,
        IsEssential = true,
    };
}
