namespace Latchkey.Server.Features.OidcClients;

/// <summary>
/// The redirect URIs a client may register, and how a presented one is matched (RFC 6749 §3.1.2,
/// RFC 8252 §7, OAuth 2.0 Security BCP): exactly, character for character, except that a
/// loopback IP literal (<c>http://127.0.0.1</c>, <c>http://[::1]</c>) accepts any port, since a
/// native app listens on whichever port the system gives it (RFC 8252 §7.3).
/// </summary>
public static partial class RedirectUris
{
    public const int MaxLength = 2000;
    public const int MaxCount = 20;

    private static readonly string[] LoopbackLiterals = ["http://127.0.0.1", "http://[::1]"];

    // Note: schemes a browser runs or opens itself: a redirect there would hand the code to a page, not to the app.
    private static readonly HashSet<string> RefusedSchemes =
        new(["javascript", "data", "vbscript", "file", "about", "blob", "filesystem", "ftp", "ws", "wss", "mailto", "tel", "sms"], StringComparer.Ordinal);

    /// <summary>Why <paramref name="uri"/> cannot be registered for a client of <paramref name="type"/>; null when it can.</summary>
    public static string? Problem(string? uri, string type)
    {
        if (string.IsNullOrEmpty(uri))
        {
            return "A redirect URI must not be empty.";
        }
        if (uri.Length > MaxLength)
        {
            return $"A redirect URI has at most {MaxLength} characters.";
        }
        if (uri.Any(c => c <= ' ' || c == '\u007f' || c > '\u007e'))
        {
            return $"'{Shown(uri)}' holds spaces, control or non-ASCII characters; percent-encode them.";
        }
        // Note: the scheme is checked on the text itself: on Unix, Uri reads "/cb" as an absolute file: URI.
        if (!SchemePrefix().IsMatch(uri) || !Uri.TryCreate(uri, UriKind.Absolute, out var parsed))
        {
            return $"'{Shown(uri)}' is not an absolute URI.";
        }
        if (uri.Contains('#'))
        {
            return $"'{Shown(uri)}' has a fragment, which a redirect URI must not have (RFC 6749 §3.1.2).";
        }
        if (parsed.UserInfo.Length > 0 || HasUserInfo(uri))
        {
            return $"'{Shown(uri)}' has user information before its host, which a redirect URI must not have.";
        }
        var scheme = uri[..uri.IndexOf(':')];
        if (!scheme.Equals(scheme.ToLowerInvariant(), StringComparison.Ordinal))
        {
            return $"'{Shown(uri)}': write the scheme in lower case ({scheme.ToLowerInvariant()}:), as clients send it.";
        }
        return scheme switch
        {
            "https" => parsed.Host.Length == 0 ? $"'{Shown(uri)}' has no host." : null,
            "http" => IsLoopbackLiteral(uri) || parsed.Host == "localhost"
                ? null
                : $"'{Shown(uri)}': plain http is only for a loopback address (http://127.0.0.1 or http://[::1], RFC 8252 §7.3); use https.",
            _ when RefusedSchemes.Contains(scheme) => $"'{Shown(uri)}': the {scheme}: scheme cannot carry an authorization response to an app.",
            _ when type == OidcClientTypes.Confidential =>
                $"'{Shown(uri)}': a confidential client is a server, which receives its redirects over https; private-use schemes are for native (public) clients.",
            _ => null,
        };
    }

    /// <summary>Whether <paramref name="presented"/> is one of <paramref name="registered"/> (exactly, or a loopback literal on another port).</summary>
    public static bool Matches(IEnumerable<string> registered, string? presented) =>
        presented is { Length: > 0 and <= MaxLength } && !presented.Contains('#') && registered.Any(r => Matches(r, presented));

    private static bool Matches(string registered, string presented)
    {
        if (string.Equals(registered, presented, StringComparison.Ordinal))
        {
            return true;
        }
        foreach (var literal in LoopbackLiterals)
        {
            if (registered.StartsWith(literal, StringComparison.Ordinal) && presented.StartsWith(literal, StringComparison.Ordinal)
                && AfterPort(registered, literal.Length) is { } registeredRest && AfterPort(presented, literal.Length) is { } presentedRest)
            {
                return string.Equals(registeredRest, presentedRest, StringComparison.Ordinal);
            }
        }
        return false;
    }

    private static bool IsLoopbackLiteral(string uri) =>
        LoopbackLiterals.Any(l => uri.StartsWith(l, StringComparison.Ordinal) && AfterPort(uri, l.Length) is not null);

    /// <summary>What follows the host and its optional port (<c>:1</c>–<c>:65535</c>): empty, or a path or query; null when something else follows.</summary>
    private static string? AfterPort(string uri, int hostEnd)
    {
        var at = hostEnd;
        if (at < uri.Length && uri[at] == ':')
        {
            var digits = 0;
            while (at + 1 + digits < uri.Length && char.IsAsciiDigit(uri[at + 1 + digits]))
            {
                digits++;
            }
            if (digits is 0 or > 5 || !int.TryParse(uri.AsSpan(at + 1, digits), out var port) || port is < 1 or > 65535)
            {
                return null;
            }
            at += 1 + digits;
        }
        var rest = uri[at..];
        return rest.Length == 0 || rest[0] is '/' or '?' ? rest : null;
    }

    /// <summary>An '@' in the authority (before the first '/', '?' or '#' after "//"), which some parsers read as user information.</summary>
    private static bool HasUserInfo(string uri)
    {
        var start = uri.IndexOf("//", StringComparison.Ordinal);
        if (start < 0)
        {
            return false;
        }
        var authority = uri[(start + 2)..];
        var end = authority.IndexOfAny(['/', '?', '#']);
        return (end < 0 ? authority : authority[..end]).Contains('@');
    }

    // RFC 3986 §3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), then ':'.
    [System.Text.RegularExpressions.GeneratedRegex("^[A-Za-z][A-Za-z0-9+.-]*:")]
    private static partial System.Text.RegularExpressions.Regex SchemePrefix();

    private static string Shown(string uri) => uri.Length <= 100 ? uri : uri[..100] + "…";
}
