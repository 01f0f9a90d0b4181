using System.Security.Cryptography;
using Latchkey.Server.Infrastructure.Problems;

namespace Latchkey.Server.Features.OidcClients;

/// <summary>What a client registration must hold, every bad field reported at once (keyed by its JSON name).</summary>
public static class OidcClientRules
{
    public const int MaxClientIdLength = 100;
    public const int MaxNameLength = 100;
    public const int MaxScopes = 50;
    public const int MaxScopeLength = 100;

    /// <summary>A new client's id when the caller gives none: 128 random bits, hex.</summary>
    public static string NewClientId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <summary>
    /// Letters, digits and <c>. _ ~ -</c> (RFC 3986 unreserved): safe in a URL and as an HTTP Basic
    /// user name, which cannot hold ':'.
    /// </summary>
    public static void CheckClientId(string clientId, FieldErrors errors)
    {
        if (clientId.Length is 0 or > MaxClientIdLength || !clientId.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '~' or '-'))
        {
            errors.Add("clientId", $"A client id has 1 to {MaxClientIdLength} letters, digits, '.', '_', '~' or '-'.");
        }
    }

    public static string? CheckName(string? name, FieldErrors errors)
    {
        var trimmed = name?.Trim();
        if (string.IsNullOrEmpty(trimmed) || trimmed.Length > MaxNameLength || trimmed.Any(char.IsControl))
        {
            errors.Add("name", $"A client's name has 1 to {MaxNameLength} characters, without control characters.");
            return null;
        }
        return trimmed;
    }

    public static string? CheckType(string? type, FieldErrors errors)
    {
        if (type is OidcClientTypes.Public or OidcClientTypes.Confidential)
        {
            return type;
        }
        errors.Add("type", "A client's type is \"public\" (a native app: no secret, PKCE) or \"confidential\" (the app's own server, with a secret).");
        return null;
    }

    /// <summary>The URIs, each checked and each once, in their order.</summary>
    public static List<string> CheckUris(string field, IReadOnlyList<string?>? uris, string type, bool required, FieldErrors errors)
    {
        var list = uris ?? [];
        if (required && list.Count == 0)
        {
            errors.Add(field, "A public client needs at least one redirect URI: where the sign-in page sends the user back with the code.");
        }
        if (list.Count > RedirectUris.MaxCount)
        {
            errors.Add(field, $"A client has at most {RedirectUris.MaxCount} of these.");
        }
        foreach (var uri in list)
        {
            if (RedirectUris.Problem(uri, type) is { } problem)
            {
                errors.Add(field, problem);
            }
        }
        return list.OfType<string>().Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>Null stays null (every scope of the app); otherwise scope tokens (RFC 6749 §3.3), each once.</summary>
    public static List<string>? CheckScopes(IReadOnlyList<string?>? scopes, FieldErrors errors)
    {
        if (scopes is null)
        {
            return null;
        }
        if (scopes.Count > MaxScopes)
        {
            errors.Add("scopes", $"A client has at most {MaxScopes} scopes.");
        }
        foreach (var scope in scopes)
        {
            if (scope is null || scope.Length is 0 or > MaxScopeLength || !scope.All(IsScopeChar))
            {
                errors.Add("scopes", $"'{scope}' is not a scope: 1 to {MaxScopeLength} printable ASCII characters, without spaces, '\"' or '\\'.");
            }
        }
        return scopes.OfType<string>().Distinct(StringComparer.Ordinal).ToList();
    }

    // RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
    private static bool IsScopeChar(char c) => c == '!' || (c >= '#' && c <= '[') || (c >= ']' && c <= '~');
}
