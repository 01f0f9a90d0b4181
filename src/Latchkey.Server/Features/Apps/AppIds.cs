using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace Latchkey.Server.Features.Apps;

/// <summary>App ids are lower-case slugs: they appear in URLs, issuers and token audiences.</summary>
public static partial class AppIds
{
    public const int MaxLength = 63;

    [GeneratedRegex("^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")]
    private static partial Regex Slug();

    public static bool IsValid(string id) => Slug().IsMatch(id);

    /// <summary>A slug from the app's name plus a random suffix, e.g. "my-app-3k9x2q".</summary>
    public static string Generate(string name)
    {
        var cleaned = NonSlug().Replace(name.ToLowerInvariant(), "-").Trim('-');
        if (cleaned.Length > 40)
        {
            cleaned = cleaned[..40].Trim('-');
        }
        var suffix = RandomNumberGenerator.GetString("abcdefghijkmnpqrstuvwxyz23456789", 6);
        return cleaned.Length == 0 ? "app-" + suffix : $"{cleaned}-{suffix}";
    }

    [GeneratedRegex("[^a-z0-9]+")]
    private static partial Regex NonSlug();
}
