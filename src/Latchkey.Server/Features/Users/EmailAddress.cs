using System.Globalization;
using System.Net.Mail;
using System.Text;

namespace Latchkey.Server.Features.Users;

/// <summary>
/// Email normalisation: trimmed, Unicode NFKC, lower-cased, international domains in their ASCII
/// (punycode) form. Two spellings of one mailbox give one user; lookups use the normal form.
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
        if (at <= 0 || at == text.Length - 1 || text.Any(char.IsWhiteSpace) || text.Any(char.IsControl))
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
}
