using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Infrastructure.Http;

/// <summary>
/// The one URL clients reach this server at, and the only source of issuers, links, discovery,
/// the passkey relying party and the console cookies' Secure flag: LATCHKEY_PUBLIC_URL
/// (<c>Latchkey:PublicUrl</c>), else the address the server actually listens on once it has
/// started. Never a request's <c>Host</c> header: whoever sends the request would choose where a
/// reset link, with its token, sends the person who opens it.
/// </summary>
public sealed class PublicUrl(IOptions<LatchkeyOptions> options, IServer server)
{
    private const string Advice =
        "Set LATCHKEY_PUBLIC_URL (Latchkey:PublicUrl) to the URL clients reach this server at, e.g. https://auth.example.com: " +
        "issuers, links and the passkey relying party are built from it.";

    private Uri? _resolved;

    /// <summary><c>scheme://host[:port][/path]</c> without a trailing slash.</summary>
    public string Value => Format(Uri);

    public Uri Uri => _resolved ??= Resolve();

    public bool IsHttps => Uri.Scheme == Uri.UriSchemeHttps;

    /// <summary>The host name, lower-case (the default passkey relying party id).</summary>
    public string Host => Uri.IdnHost.ToLowerInvariant();

    /// <summary><c>scheme://host[:port]</c>, lower-case (the default passkey origin).</summary>
    public string Origin => Uri.GetLeftPart(UriPartial.Authority).ToLowerInvariant();

    /// <summary>Checks LATCHKEY_PUBLIC_URL when it is set; before the server starts, so a bad value stops the start early.</summary>
    public void CheckConfigured()
    {
        if (!string.IsNullOrWhiteSpace(options.Value.PublicUrl))
        {
            _ = Uri;
        }
    }

    private Uri Resolve()
    {
        if (!string.IsNullOrWhiteSpace(options.Value.PublicUrl))
        {
            return Parse(options.Value.PublicUrl.Trim());
        }
        var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses;
        if (addresses is null || addresses.Count == 0)
        {
            throw new PublicUrlException($"LATCHKEY_PUBLIC_URL is not set and the server has no listening address (yet). {Advice}");
        }
        // Note: with several addresses (--urls "http://…;https://…") clients are sent to the https one.
        var address = addresses.FirstOrDefault(a => a.StartsWith("https://", StringComparison.OrdinalIgnoreCase)) ?? addresses.First();
        var binding = BindingAddress.Parse(address);
        if (binding.IsUnixPipe || binding.IsNamedPipe)
        {
            throw new PublicUrlException($"The server listens on {address}, which clients cannot reach by URL, and LATCHKEY_PUBLIC_URL is not set. {Advice}");
        }
        if (IsWildcard(binding.Host))
        {
            throw new PublicUrlException(
                $"The server listens on {address}, every network interface, which is no URL clients can use, and LATCHKEY_PUBLIC_URL is not set. {Advice}");
        }
        return Parse(address);
    }

    private static Uri Parse(string value)
    {
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")
            || uri.Query.Length > 0 || uri.Fragment.Length > 0 || uri.UserInfo.Length > 0 || value.Contains('?') || value.Contains('#'))
        {
            throw new PublicUrlException(
                $"LATCHKEY_PUBLIC_URL '{value}' is not an http or https URL without a query, fragment or user name, such as https://auth.example.com.");
        }
        if (IsWildcard(uri.Host))
        {
            throw new PublicUrlException(
                $"LATCHKEY_PUBLIC_URL '{value}' names every network interface ({uri.Host}), which is no URL clients can use. {Advice}");
        }
        return uri;
    }

    /// <summary>Addresses that mean "every interface" to a server and nothing to a client.</summary>
    private static bool IsWildcard(string host) =>
        host.Trim('[', ']') is "0.0.0.0" or "::" or "*" or "+" or "0:0:0:0:0:0:0:0" || host.Length == 0;

    private static string Format(Uri uri) => $"{uri.Scheme}://{uri.Authority.ToLowerInvariant()}{uri.AbsolutePath.TrimEnd('/')}";
}

/// <summary>There is no URL to give clients; the start stops with this message (no stack trace).</summary>
public sealed class PublicUrlException(string message) : InvalidOperationException(message);
