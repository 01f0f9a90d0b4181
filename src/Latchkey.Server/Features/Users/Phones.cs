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

    /// <summary>Whether a login handle looks like a phone number rather than a user name.</summary>
    public static bool LooksLikePhone(string handle)
    {
        var trimmed = handle.Trim();
        return trimmed.StartsWith('+') || (trimmed.Length > 0 && trimmed.All(c => char.IsAsciiDigit(c) || c is ' ' or '-' or '(' or ')'));
    }
}
