using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Latchkey.Server.Infrastructure.Http;

/// <summary>
/// One block of IP addresses: a CIDR network ("10.0.0.0/8", "2001:db8::/32"), an inclusive
/// start–end range ("192.0.2.10-192.0.2.20") or a single address. IPv4-mapped IPv6 addresses
/// ("::ffff:192.0.2.1") count as the IPv4 address they carry, on both sides of a comparison.
/// </summary>
public readonly record struct IpRange
{
    private readonly IPNetwork? _network;
    private readonly byte[]? _start;
    private readonly byte[]? _end;

    private IpRange(IPNetwork network) => _network = network;

    private IpRange(byte[] start, byte[] end) => (_start, _end) = (start, end);

    /// <summary>The address a comparison uses: IPv4-mapped IPv6 addresses become IPv4.</summary>
    public static IPAddress Normalise(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    public bool Contains(IPAddress address)
    {
        address = Normalise(address);
        if (_network is { } network)
        {
            return network.Contains(address);
        }
        var bytes = address.GetAddressBytes();
        return bytes.Length == _start!.Length
            && bytes.AsSpan().SequenceCompareTo(_start) >= 0
            && bytes.AsSpan().SequenceCompareTo(_end) <= 0;
    }

    /// <summary>Parses a CIDR, a start–end range or (when <paramref name="allowSingle"/>) one address; error says what is wrong.</summary>
    public static bool TryParse(string? text, bool allowSingle, out IpRange range, [NotNullWhen(false)] out string? error)
    {
        range = default;
        text = text?.Trim();
        if (string.IsNullOrEmpty(text) || text.Length > 100)
        {
            error = "is empty or too long";
            return false;
        }
        if (text.Contains('/'))
        {
            return TryParseNetwork(text, out range, out error);
        }
        var dash = text.IndexOf('-');
        if (dash >= 0)
        {
            return TryParseStartEnd(text[..dash].Trim(), text[(dash + 1)..].Trim(), out range, out error);
        }
        if (allowSingle && TryParseAddress(text, out var single))
        {
            var bytes = single.GetAddressBytes();
            range = new IpRange(bytes, bytes);
            error = null;
            return true;
        }
        error = allowSingle ? "is not an IP address or network" : "is neither a CIDR network nor a start-end range";
        return false;
    }

    private static bool TryParseNetwork(string text, out IpRange range, [NotNullWhen(false)] out string? error)
    {
        range = default;
        var slash = text.IndexOf('/');
        var prefixText = text[(slash + 1)..];
        if (!TryParseAddress(text[..slash], out var address, normalise: false))
        {
            error = "does not start with a valid IP address";
            return false;
        }
        var bits = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        var prefix = prefixText.Length is > 0 and <= 3 && prefixText.All(char.IsAsciiDigit)
            ? int.Parse(prefixText, CultureInfo.InvariantCulture)
            : -1;
        if (prefix < 0 || prefix > bits)
        {
            error = $"needs a prefix length from 0 to {bits} after the '/'";
            return false;
        }
        if (address.IsIPv4MappedToIPv6 && prefix >= 96)
        {
            (address, prefix) = (address.MapToIPv4(), prefix - 96);
        }
        var network = new IPNetwork(Mask(address, prefix), prefix);
        if (!network.BaseAddress.Equals(address))
        {
            error = $"has bits set after the prefix; the network is {network}";
            return false;
        }
        range = new IpRange(network);
        error = null;
        return true;
    }

    private static bool TryParseStartEnd(string startText, string endText, out IpRange range, [NotNullWhen(false)] out string? error)
    {
        range = default;
        if (!TryParseAddress(startText, out var start) || !TryParseAddress(endText, out var end))
        {
            error = "needs a valid IP address on both sides of the '-'";
            return false;
        }
        var (startBytes, endBytes) = (start.GetAddressBytes(), end.GetAddressBytes());
        if (startBytes.Length != endBytes.Length)
        {
            error = "mixes IPv4 and IPv6";
            return false;
        }
        if (startBytes.AsSpan().SequenceCompareTo(endBytes) > 0)
        {
            error = "starts after it ends";
            return false;
        }
        range = new IpRange(startBytes, endBytes);
        error = null;
        return true;
    }

    /// <summary>
    /// Dotted-quad IPv4 or IPv6, strictly: IPAddress.TryParse alone also takes "10.1" or "010.0.0.1"
    /// (octal), which people do not mean when they type a range. Answers IPv4-mapped addresses as IPv4.
    /// </summary>
    public static bool TryParseAddress(string text, [NotNullWhen(true)] out IPAddress? address) => TryParseAddress(text, out address, normalise: true);

    private static bool TryParseAddress(string text, [NotNullWhen(true)] out IPAddress? address, bool normalise)
    {
        address = null;
        if (text.Contains(':'))
        {
            if (text.Contains('%') || !IPAddress.TryParse(text, out var v6) || v6.AddressFamily != AddressFamily.InterNetworkV6)
            {
                return false;
            }
            address = normalise ? Normalise(v6) : v6;
            return true;
        }
        var parts = text.Split('.');
        if (parts.Length != 4 || parts.Any(p => p.Length is 0 or > 3 || !p.All(char.IsAsciiDigit) || (p.Length > 1 && p[0] == '0')
                || int.Parse(p, CultureInfo.InvariantCulture) > 255))
        {
            return false;
        }
        address = new IPAddress(parts.Select(p => byte.Parse(p, CultureInfo.InvariantCulture)).ToArray());
        return true;
    }

    private static IPAddress Mask(IPAddress address, int prefix)
    {
        var bytes = address.GetAddressBytes();
        for (var i = 0; i < bytes.Length; i++)
        {
            var keep = Math.Clamp(prefix - i * 8, 0, 8);
            bytes[i] &= (byte)(0xFF << (8 - keep));
        }
        return new IPAddress(bytes);
    }

    public override string ToString() =>
        _network?.ToString() ?? $"{new IPAddress(_start!)}-{new IPAddress(_end!)}";
}
