using System.Net;
using System.Net.Sockets;
using Latchkey.Server.Infrastructure.Crypto;
using Latchkey.Server.Infrastructure.Http;

namespace Latchkey.Server.Features.RateLimits;

/// <summary>Counter keys that name a client address: keyed pseudonyms, never the address in clear.</summary>
internal static class ThrottleKeys
{
    /// <summary>
    /// The request's client address as a counter key of <paramref name="prefix"/> in an app: IPv4 as
    /// is, IPv6 by its /64 (one subscriber's network, which holds more addresses than any budget),
    /// as a keyed hash. Null outside a request.
    /// </summary>
    public static string? Address(ServerKeys keys, HttpContext? context, string prefix, string appId)
    {
        if (context is null)
        {
            return null;
        }
        var address = ClientAddress.Of(context);
        string source;
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            var bytes = address.GetAddressBytes();
            Array.Clear(bytes, 8, 8);
            source = new IPAddress(bytes) + "/64";
        }
        else
        {
            source = address.ToString();
        }
        return $"{prefix}:{appId}:{Convert.ToHexStringLower(keys.Blind(appId, "throttle-address", source))}";
    }
}
