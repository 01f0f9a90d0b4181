using Latchkey.Server.Infrastructure.Http;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Features.Passkeys;

/// <summary>
/// Where passkeys may be used (<c>Latchkey:WebAuthn:*</c>, env LATCHKEY_WEBAUTHN_ORIGINS and
/// LATCHKEY_WEBAUTHN_RP_ID). Both default to the server's public URL: its origin, and its host as
/// the relying party id.
/// </summary>
public sealed class WebAuthnOptions
{
    public const string Section = "Latchkey:WebAuthn";

    /// <summary>
    /// Comma-separated origins a browser or app may run the ceremonies from, e.g.
    /// <c>https://app.example.com,android:apk-key-hash:…</c>. Empty: the public URL's origin.
    /// </summary>
    public string? Origins { get; set; }

    /// <summary>The relying party id (a host name); empty: the public URL's host.</summary>
    public string? RpId { get; set; }

    internal IReadOnlyList<string> OriginList =>
        (Origins ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(o => NormaliseOrigin(o) ?? o)
            .ToList();

    /// <summary>scheme://host[:port] of an http(s) URL (lower-case, default port left out); null for anything else.</summary>
    internal static string? NormaliseOrigin(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http"
            && uri.AbsolutePath == "/" && uri.Query.Length == 0 && uri.Fragment.Length == 0 && uri.UserInfo.Length == 0
            ? uri.GetLeftPart(UriPartial.Authority).ToLowerInvariant()
            : null;
}

/// <summary>A bad origin list or relying party id stops the process at start with a clear message.</summary>
internal sealed class WebAuthnOptionsValidator : IValidateOptions<WebAuthnOptions>
{
    public ValidateOptionsResult Validate(string? name, WebAuthnOptions options)
    {
        var errors = new List<string>();
        var rpId = options.RpId?.Trim();
        if (!string.IsNullOrEmpty(rpId) && Uri.CheckHostName(rpId) != UriHostNameType.Dns)
        {
            errors.Add($"Latchkey:WebAuthn:RpId (LATCHKEY_WEBAUTHN_RP_ID) must be a host name such as example.com, not '{rpId}'.");
        }
        foreach (var origin in (options.Origins ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var normalised = WebAuthnOptions.NormaliseOrigin(origin);
            if (normalised is null && !origin.StartsWith("android:apk-key-hash:", StringComparison.Ordinal))
            {
                errors.Add($"Latchkey:WebAuthn:Origins (LATCHKEY_WEBAUTHN_ORIGINS): '{origin}' is not an origin " +
                    "(https://host[:port] without a path, or android:apk-key-hash:…).");
            }
            else if (normalised is not null && !string.IsNullOrEmpty(rpId) && !RelyingParty.IsWithin(new Uri(normalised).Host, rpId))
            {
                errors.Add($"Latchkey:WebAuthn:Origins (LATCHKEY_WEBAUTHN_ORIGINS): the host of '{origin}' is not '{rpId}' or below it, so browsers there cannot use passkeys of that relying party id.");
            }
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

/// <summary>This server as a WebAuthn relying party: its id and the origins it accepts, per request.</summary>
public sealed class RelyingParty(IOptions<WebAuthnOptions> options, PublicUrl publicUrl)
{
    /// <summary>The configured id, else the public URL's host (browsers refuse IP addresses here: use a name, even localhost).</summary>
    public string Id => options.Value.RpId?.Trim() is { Length: > 0 } id ? id.ToLowerInvariant() : publicUrl.Host;

    public IReadOnlyList<string> Origins =>
        options.Value.OriginList is { Count: > 0 } configured ? configured : [publicUrl.Origin];

    /// <summary>Whether a host may use an RP id: the same name or a name below it.</summary>
    internal static bool IsWithin(string host, string rpId) =>
        string.Equals(host, rpId, StringComparison.OrdinalIgnoreCase) || host.EndsWith("." + rpId, StringComparison.OrdinalIgnoreCase);
}
