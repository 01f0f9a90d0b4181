using PhoneNumbers;

namespace Latchkey.Server.Features.Users;

/// <summary>
/// Phone numbers are parsed and validated with libphonenumber and kept in E.164. A number without
/// a leading + is read in the region of the device's language, when the device gives one.
/// </summary>
public static class Phones
{
    public const int MaxLength = 40;
    private static readonly PhoneNumberUtil Util = PhoneNumberUtil.GetInstance();

    public static bool TryNormalise(string? input, string? defaultRegion, out string e164)
    {
        e164 = string.Empty;
        if (string.IsNullOrWhiteSpace(input) || input.Length > MaxLength)
        {
            return false;
        }
        try
        {
            var region = defaultRegion is { Length: 2 } ? defaultRegion.ToUpperInvariant() : null;
            var number = Util.Parse(input.Trim(), region);
            if (!Util.IsValidNumber(number))
            {
                return false;
            }
            e164 = Util.Format(number, PhoneNumberFormat.E164);
            return true;
        }
        catch (NumberParseException)
        {
            return false;
        }
    }

    /// <summary>
    /// The country an E.164 number belongs to, as its prefix says: an ISO 3166 region code ("GB"), or
    /// the calling code ("+882") of a number outside any country (international networks).
    /// </summary>
    public static string CountryOf(string e164)
    {
        try
        {
            var number = Util.Parse(e164, null);
            var region = Util.GetRegionCodeForNumber(number);
            return region is null or "001" or "ZZ" ? "+" + number.CountryCode : region;
        }
        catch (NumberParseException)
        {
            return "+";
        }
    }

    /// <summary>Whether <paramref name="region"/> is an ISO 3166 region code that phone numbers are known for.</summary>
    public static bool IsRegion(string region) => Util.GetSupportedRegions().Contains(region);

    /// <summary>Whether a login handle looks like a phone number rather than a user name.</summary>
    public static bool LooksLikePhone(string handle)
    {
        var trimmed = handle.Trim();
        return trimmed.StartsWith('+') || (trimmed.Length > 0 && trimmed.All(c => char.IsAsciiDigit(c) || c is ' ' or '-' or '(' or ')'));
    }
}
