using System.Globalization;
using System.Net.Mail;
using System.Text;

namespace Latchkey.Server.Features.Users;

/// <summary>
/// Email normalisation: trimmed, Unicode NFKC, lower-cased, international domains in their ASCII
/// (punycode) form. Two spellings of one mailbox give one user; lookups use the normal form.
/// Characters that render as nothing (<see cref="DefaultIgnorables"/>) are refused, and
/// <see cref="Skeleton"/> tells look-alikes of an address apart from it.
/// </summary>
public static class EmailAddress
{
    public const int MaxLength = 254;
    private static readonly IdnMapping Idn = new();

    public static bool TryNormalise(string? input, out string normalised)
    {
        normalised = string.Empty;
        if (string.IsNullOrWhiteSpace(input))
        {
            return false;
        }
        var text = input.Trim().Normalize(NormalizationForm.FormKC);
        var at = text.LastIndexOf('@');
        if (at <= 0 || at == text.Length - 1 || text.Any(char.IsWhiteSpace) || text.Any(char.IsControl) || DefaultIgnorables.AnyIn(text))
        {
            return false;
        }
        string domain;
        try
        {
            domain = Idn.GetAscii(text[(at + 1)..]).ToLowerInvariant();
        }
        catch (ArgumentException)
        {
            return false;
        }
        if (!domain.Contains('.') || domain.StartsWith('.') || domain.EndsWith('.') || domain.Contains(".."))
        {
            return false;
        }
        var candidate = text[..at].ToLowerInvariant() + "@" + domain;
        if (candidate.Length > MaxLength || !MailAddress.TryCreate(candidate, out var parsed) || parsed.Address != candidate)
        {
            return false;
        }
        normalised = candidate;
        return true;
    }

    /// <summary>
    /// The UTS #39 skeleton of a normalised address, read as people see it (the domain in Unicode,
    /// not punycode), and whether that reading is all ASCII. Two addresses that differ only in
    /// ASCII are different mailboxes (<c>a.b@x</c>, <c>ab@x</c>, <c>rn@x</c>, <c>m@x</c>), however
    /// alike their skeletons: only a difference in a non-ASCII character makes a look-alike.
    /// </summary>
    public static (string Skeleton, bool Ascii) Skeleton(string normalised)
    {
        var at = normalised.LastIndexOf('@');
        string domain;
        try
        {
            domain = Idn.GetUnicode(normalised[(at + 1)..]);
        }
        catch (ArgumentException)
        {
            domain = normalised[(at + 1)..];
        }
        var shown = normalised[..at] + "@" + domain;
        return (Confusables.Skeleton(shown), System.Text.Ascii.IsValid(shown));
    }
}
