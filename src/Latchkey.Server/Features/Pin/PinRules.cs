using Latchkey.Server.Infrastructure.Problems;

namespace Latchkey.Server.Features.Pin;

/// <summary>
/// What a PIN may be: 4 to 12 ASCII digits (what a phone's number pad types), and not one of the
/// few PINs an attacker tries first. With only a handful of attempts per session, the blocklist
/// is what keeps a short PIN from being guessed (DataGenetics' PIN study: the top 20 four-digit
/// PINs cover about a quarter of all users).
/// </summary>
public static class PinRules
{
    public const int MinLength = 4;
    public const int MaxLength = 12;

    // Common choices the patterns below do not already catch: keypad columns and diagonals,
    // "1004", "2000"/"2001", "6969", pairs.
    private static readonly HashSet<string> Common =
    [
        "1004", "2000", "2001", "6969", "1122", "1313", "2580", "0852", "1470", "0741", "3690", "0963",
        "1379", "9731", "1397", "5683", "112233", "123321", "159753", "147258", "147258369", "789456",
    ];

    /// <summary>Throws invalid_request (errors.{field}) unless <paramref name="pin"/> is an acceptable PIN.</summary>
    public static void Check(string? pin, string field = "pin")
    {
        if (Problem(pin) is { } message)
        {
            throw Problems.InvalidField(field, message);
        }
    }

    /// <summary>Why the PIN is refused, or null when it is fine.</summary>
    public static string? Problem(string? pin)
    {
        if (string.IsNullOrEmpty(pin))
        {
            return "pin is required: 4 to 12 digits.";
        }
        if (pin.Length is < MinLength or > MaxLength || !pin.All(char.IsAsciiDigit))
        {
            return "A PIN is 4 to 12 digits (0-9).";
        }
        if (IsRepeated(pin))
        {
            return "This PIN repeats a short pattern (like 0000 or 1212); choose one that is harder to guess.";
        }
        if (IsSequence(pin))
        {
            return "This PIN is a run of digits (like 1234 or 9876); choose one that is harder to guess.";
        }
        if (Common.Contains(pin))
        {
            return "This PIN is one of the most common ones; choose one that is harder to guess.";
        }
        return null;
    }

    /// <summary>The PIN is one block repeated: 0000, 1212, 123123, 505050.</summary>
    private static bool IsRepeated(string pin)
    {
        for (var period = 1; period <= pin.Length / 2; period++)
        {
            if (pin.Length % period != 0)
            {
                continue;
            }
            var repeated = true;
            for (var i = period; i < pin.Length && repeated; i++)
            {
                repeated = pin[i] == pin[i - period];
            }
            if (repeated)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Each digit one more (or one less) than the one before, wrapping 9 to 0: 1234, 7890, 4321.</summary>
    private static bool IsSequence(string pin)
    {
        var step = (pin[1] - pin[0] + 10) % 10;
        if (step is not (1 or 9))
        {
            return false;
        }
        for (var i = 2; i < pin.Length; i++)
        {
            if ((pin[i] - pin[i - 1] + 10) % 10 != step)
            {
                return false;
            }
        }
        return true;
    }
}
