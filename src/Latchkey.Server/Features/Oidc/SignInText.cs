using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.Delivery;
using Latchkey.Server.Infrastructure.Persistence;
using OpenIddict.Abstractions;

namespace Latchkey.Server.Features.Oidc;

/// <summary>
/// The words of the sign-in page that the app writes (its <see cref="MessageKinds.SignInPage"/>
/// template: the heading and a line under it), in the browser's language: OIDC's <c>ui_locales</c>
/// first (Core §3.1.2.1), then <c>Accept-Language</c>; the app's English one, then the built-in, otherwise.
/// </summary>
public sealed record SignInText(string Heading, string? Intro)
{
    public static async Task<SignInText> FindAsync(LatchkeyDbContext db, App app, string? language, CancellationToken ct)
    {
        var parts = await TemplateCatalog.FindAsync(db, app.Id, MessageKinds.SignInPage, language, ct);
        var values = new Dictionary<string, string?> { [TemplateText.AppName] = app.Name };
        var heading = TemplateText.Render(parts.Subject, values, html: false).Trim();
        var intro = TemplateText.Render(parts.Text, values, html: false).Trim();
        return new SignInText(heading.Length == 0 ? $"Sign in to {app.Name}" : heading, intro.Length == 0 ? null : intro);
    }

    /// <summary>The language the page and the messages it sends are wanted in, or null when the browser names none.</summary>
    public static string? LanguageOf(HttpContext http, OpenIddictRequest request)
    {
        var asked = request.UiLocales?.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        if (asked is { Length: > 0 and <= TemplateCatalog.MaxLanguageLength })
        {
            return asked;
        }
        // Note: a malformed header parses to no values, never an exception.
        return http.Request.GetTypedHeaders().AcceptLanguage
            .Where(l => l.Value is { Length: > 0 and <= TemplateCatalog.MaxLanguageLength } value && value.Value != "*")
            .OrderByDescending(l => l.Quality ?? 1)
            .Select(l => l.Value.Value)
            .FirstOrDefault();
    }
}
