using System.Collections.Concurrent;
using System.Net;
using Latchkey.Server.Infrastructure.Http;

namespace Latchkey.Server.Features.IpRanges;

/// <summary>
/// An app's allowed client addresses (S2, setting <c>ipRanges</c>): CIDR networks and start–end
/// ranges, IPv4 and IPv6. Empty allows every address. Parsed once per distinct list, since every
/// app-scoped request asks.
/// </summary>
public sealed class IpRangeList
{
    public const int MaxItems = 200;

    private static readonly ConcurrentDictionary<string, IpRangeList> Parsed = new(StringComparer.Ordinal);
    private static readonly IpRangeList Empty = new([], allowsAll: true);
    private readonly IpRange[] _ranges;

    private IpRangeList(IpRange[] ranges, bool allowsAll) => (_ranges, AllowsAll) = (ranges, allowsAll);

    public bool AllowsAll { get; }

    public bool Allows(IPAddress address) => AllowsAll || _ranges.Any(r => r.Contains(address));

    /// <summary>The parsed list for these settings; items that do not parse (never stored by the admin API) allow nothing.</summary>
    public static IpRangeList For(IReadOnlyList<string> items)
    {
        if (items.Count == 0)
        {
            return Empty;
        }
        var cacheKey = string.Join('\n', items);
        if (Parsed.TryGetValue(cacheKey, out var known))
        {
            return known;
        }
        if (Parsed.Count > 1024)
        {
            // Note: bounded by the number of apps in practice; a cheap reset keeps it so.
            Parsed.Clear();
        }
        var ranges = items.Select(item => IpRange.TryParse(item, allowSingle: false, out var range, out _) ? range : (IpRange?)null)
            .OfType<IpRange>().ToArray();
        // Note: a list whose every item is broken allows nothing; it never falls back to "allow all".
        return Parsed[cacheKey] = new IpRangeList(ranges, allowsAll: false);
    }

    /// <summary>Settings validation: every item must parse; messages name the bad items.</summary>
    public static string[] Problems(IReadOnlyList<string?> items)
    {
        if (items.Count > MaxItems)
        {
            return [$"ipRanges holds at most {MaxItems} items, not {items.Count}."];
        }
        var problems = new List<string>();
        foreach (var item in items)
        {
            if (!IpRange.TryParse(item, allowSingle: false, out _, out var error))
            {
                problems.Add($"'{Shorten(item)}' {error}: use a CIDR network like \"10.0.0.0/8\" or \"2001:db8::/32\", or a range like \"192.0.2.10-192.0.2.20\".");
            }
        }
        return [.. problems];
    }

    private static string Shorten(string? item) => item is null ? "null" : item.Length > 60 ? item[..60] + "…" : item;
}
