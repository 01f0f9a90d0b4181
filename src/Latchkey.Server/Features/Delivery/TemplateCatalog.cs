using Latchkey.Server.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.Delivery;

/// <summary>
/// Chooses the words of a message: the app's template in the device's language, then in its
/// base language, then the app's English one, then the built-in English template.
/// </summary>
public static class TemplateCatalog
{
    public const string DefaultLanguage = "en";
    public const int MaxLanguageLength = 16;

    /// <summary>The languages to try, most specific first: <c>de-AT</c> → <c>de-at</c>, <c>de</c>, <c>en</c>.</summary>
    public static IReadOnlyList<string> LanguageChain(string? language)
    {
        var chain = new List<string>();
        var tag = NormaliseLanguage(language);
        while (tag is { Length: > 0 })
        {
            if (tag.Length <= MaxLanguageLength)
            {
                chain.Add(tag);
            }
            var dash = tag.LastIndexOf('-');
            tag = dash > 0 ? tag[..dash] : null;
        }
        if (!chain.Contains(DefaultLanguage))
        {
            chain.Add(DefaultLanguage);
        }
        return chain;
    }

    /// <summary>Lower case, <c>-</c> between subtags (devices also send <c>de_AT</c>).</summary>
    public static string? NormaliseLanguage(string? language) =>
        string.IsNullOrWhiteSpace(language) ? null : language.Trim().Replace('_', '-').ToLowerInvariant();

    public static async Task<TemplateParts> FindAsync(LatchkeyDbContext db, string appId, string kind, string? language, CancellationToken ct)
    {
        var chain = LanguageChain(language).ToList();
        var own = await db.MessageTemplates.AsNoTracking()
            .Where(t => t.AppId == appId && t.Kind == kind && chain.Contains(t.Language))
            .ToListAsync(ct);
        var best = own.OrderBy(t => chain.IndexOf(t.Language)).FirstOrDefault();
        return best is null ? BuiltInTemplates.For(kind) : new TemplateParts(best.Subject, best.Text, best.Html, best.Sms);
    }
}
