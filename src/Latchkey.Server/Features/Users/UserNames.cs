using System.Text;

namespace Latchkey.Server.Features.Users;

/// <summary>
/// User names (MISSION A5): NFKC, then case-folded, then restricted to a-z 0-9 . _ - so that
/// look-alike letters from other scripts cannot impersonate a name. The folded form is the key
/// of uniqueness; the form the user wrote is what others see.
/// </summary>
public static class UserNames
{
    public const int MinLength = 3;
    public const int MaxLength = 32;
    public const string Rule = "3 to 32 characters: letters a–z, digits and . _ -, starting and ending with a letter or digit.";

    private static readonly HashSet<string> Reserved = ["admin", "administrator", "root", "system", "support", "latchkey", "console", "superadmin", "me"];

    /// <summary>Checks a name; gives the written form (NFKC, trimmed) and the folded key.</summary>
    public static bool TryNormalise(string? input, out string written, out string folded, out string problem)
    {
        written = folded = string.Empty;
        problem = Rule;
        if (string.IsNullOrWhiteSpace(input))
        {
            return false;
        }
        written = input.Trim().Normalize(NormalizationForm.FormKC);
        folded = written.ToLowerInvariant();
        if (folded.Length is < MinLength or > MaxLength || !folded.All(IsAllowed)
            || !char.IsAsciiLetterOrDigit(folded[0]) || !char.IsAsciiLetterOrDigit(folded[^1]))
        {
            return false;
        }
        if (folded.Contains("..") || folded.Contains("__") || folded.Contains("--"))
        {
            problem = "A user name may not repeat . _ or - twice in a row.";
            return false;
        }
        if (Reserved.Contains(folded) || folded.StartsWith("anon_", StringComparison.Ordinal))
        {
            problem = "This user name is reserved.";
            return false;
        }
        return true;
    }

    private static bool IsAllowed(char c) => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '.' or '_' or '-';
}
