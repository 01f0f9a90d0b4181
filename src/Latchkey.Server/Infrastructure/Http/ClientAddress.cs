using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using IPNetwork = System.Net.IPNetwork;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Infrastructure.Http;

/// <summary>
/// The client's network address, for IP ranges (S2) and per-address rate limits (S5): the
/// immediate peer, unless that peer is a trusted proxy (LATCHKEY_TRUSTED_PROXIES), in which case
/// the right-most address in X-Forwarded-For that is not itself a trusted proxy. ASP.NET Core's
/// forwarded-headers middleware does the walk; without trusted proxies it ignores the header, so
/// a client cannot choose its own address.
/// </summary>
public static class ClientAddress
{
    /// <summary>The resolved client address; IPv4-mapped IPv6 answers as IPv4.</summary>
    public static IPAddress Of(HttpContext context) => IpRange.Normalise(context.Connection.RemoteIpAddress ?? IPAddress.Loopback);

    public static IServiceCollection AddClientAddress(this IServiceCollection services)
    {
        services.AddSingleton<IValidateOptions<LatchkeyOptions>, TrustedProxiesValidation>();
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<LatchkeyOptions>>((forwarded, latchkey) =>
        {
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor;
            // Note: the framework trusts loopback by default; here only what the deployment names.
            forwarded.KnownProxies.Clear();
            forwarded.KnownIPNetworks.Clear();
            // Walk the whole chain of trusted proxies, not just the last hop.
            forwarded.ForwardLimit = null;
            foreach (var item in Split(latchkey.Value.TrustedProxies))
            {
                if (item.Contains('/') && IPNetwork.TryParse(item, out var network))
                {
                    forwarded.KnownIPNetworks.Add(network);
                }
                else if (IpRange.TryParseAddress(item, out var address))
                {
                    forwarded.KnownProxies.Add(address);
                }
            }
        });
        return services;
    }

    public static WebApplication UseClientAddress(this WebApplication app)
    {
        // Note: a peer without an IP address (a Unix socket; the in-memory test server) is local: loopback.
        app.Use((context, next) =>
        {
            context.Connection.RemoteIpAddress ??= IPAddress.Loopback;
            return next(context);
        });
        // Note: with no known proxy at all the middleware would believe every peer, so without
        // trusted proxies it does not run and X-Forwarded-For means nothing.
        var forwarded = app.Services.GetRequiredService<IOptions<ForwardedHeadersOptions>>().Value;
        if (forwarded.KnownProxies.Count > 0 || forwarded.KnownIPNetworks.Count > 0)
        {
            app.UseForwardedHeaders();
        }
        return app;
    }

    private static string[] Split(string? list) =>
        (list ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private sealed class TrustedProxiesValidation : IValidateOptions<LatchkeyOptions>
    {
        public ValidateOptionsResult Validate(string? name, LatchkeyOptions options)
        {
            var bad = Split(options.TrustedProxies).Where(item => !IsProxy(item)).ToList();
            return bad.Count == 0
                ? ValidateOptionsResult.Success
                : ValidateOptionsResult.Fail(
                    $"LATCHKEY_TRUSTED_PROXIES must be a comma-separated list of IP addresses or CIDR networks (e.g. \"10.0.0.5, 192.168.0.0/16\"); not valid: {string.Join(", ", bad)}.");
        }

        private static bool IsProxy(string item) =>
            item.Contains('/')
                ? IpRange.TryParse(item, allowSingle: false, out _, out _) && IPNetwork.TryParse(item, out _)
                : IpRange.TryParseAddress(item, out _);
    }
}
