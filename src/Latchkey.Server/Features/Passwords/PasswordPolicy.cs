using System.Globalization;
using System.Text;
using Latchkey.Server.Infrastructure.Problems;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Features.Passwords;

/// <summary>
/// NIST SP 800-63B rules: a minimum length, long passphrases allowed, no composition rules, and
/// no password from the shipped list of common and breached passwords or made of the email.
/// </summary>
public sealed class PasswordPolicy(IOptions<PasswordOptions> options)
{
    private static readonly Lazy<HashSet<string>> Common = new(LoadCommonPasswords);

    public void Check(string password, string? normalisedEmail, string field = "password")
    {
        var length = new StringInfo(password.Normalize(NormalizationForm.FormKC)).LengthInTextElements;
        if (length < options.Value.MinLength)
        {
            throw Problems.InvalidField(field, $"The password must be at least {options.Value.MinLength} characters long.");
        }
        if (length > options.Value.MaxLength)
        {
            throw Problems.InvalidField(field, $"The password must be at most {options.Value.MaxLength} characters long.");
        }
        var lowered = password.ToLowerInvariant();
        if (Common.Value.Contains(lowered))
        {
            throw Problems.InvalidField(field, "This password is too common: it appears in lists of breached passwords. Choose another.");
        }
        if (normalisedEmail is not null && (lowered == normalisedEmail || lowered == normalisedEmail.Split('@')[0]))
        {
            throw Problems.InvalidField(field, "The password must not be the email address.");
        }
    }

    public static int CommonPasswordCount => Common.Value.Count;

    private static HashSet<string> LoadCommonPasswords()
    {
        using var stream = typeof(PasswordPolicy).Assembly.GetManifestResourceStream("common-passwords.txt")
            ?? throw new InvalidOperationException("The common-password list is missing from the build.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var set = new HashSet<string>(StringComparer.Ordinal);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length > 0)
            {
                set.Add(line);
            }
        }
        return set;
    }
}
