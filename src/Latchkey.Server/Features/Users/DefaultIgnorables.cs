using System.Text;

namespace Latchkey.Server.Features.Users;

/// <summary>
/// Unicode's Default_Ignorable_Code_Point property (DerivedCoreProperties.txt, Unicode 15):
/// characters that render as nothing (zero-width spaces and joiners, the soft hyphen, bidi
/// controls, variation selectors, tags). In a handle they only make a second spelling that looks
/// like the first, so handles refuse them.
/// </summary>
public static class DefaultIgnorables
{
    private static readonly (int First, int Last)[] Ranges =
    [
        (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160), (0x17B4, 0x17B5),
        (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x206F), (0x3164, 0x3164),
        (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3),
        (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF),
    ];

    public static bool Is(Rune rune)
    {
        var value = rune.Value;
        foreach (var (first, last) in Ranges)
        {
            if (value >= first && value <= last)
            {
                return true;
            }
        }
        return false;
    }

    public static bool AnyIn(string text)
    {
        foreach (var rune in text.EnumerateRunes())
        {
            if (Is(rune))
            {
                return true;
            }
        }
        return false;
    }
}
