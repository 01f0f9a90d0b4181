using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Latchkey.Server.Features.Oidc;

/// <summary>
/// How the first factor of a sign-in that waits for its second was given (its RFC 8176 <c>amr</c>),
/// carried by the sign-in page and sealed to that pending sign-in's token: the browser can neither
/// change it nor move it to another sign-in. Every node opens it (the data-protection keys are shared).
/// </summary>
public sealed class FirstFactorSeal(IDataProtectionProvider provider)
{
    /// <summary>RFC 8176's value for a code sent by SMS (OpenIddict names no constant for it).</summary>
    public const string Sms = "sms";

    /// <summary>A password, an email code ("otp"), an SMS code.</summary>
    public static readonly string[] Methods = [AuthenticationMethodReferences.Password, AuthenticationMethodReferences.OneTimePassword, FirstFactorSeal.Sms];

    private readonly IDataProtector _protector = provider.CreateProtector("Latchkey.Oidc.FirstFactor");

    public string Seal(string mfaToken, string amr) => _protector.Protect(amr + "\n" + mfaToken);

    /// <summary>The first factor's amr, or null when the seal is not this server's or not this sign-in's.</summary>
    public string? Open(string? seal, string mfaToken)
    {
        if (string.IsNullOrEmpty(seal) || seal.Length > 1024)
        {
            return null;
        }
        try
        {
            var text = _protector.Unprotect(seal);
            var split = text.IndexOf('\n');
            return split > 0 && text[(split + 1)..] == mfaToken && Methods.Contains(text[..split]) ? text[..split] : null;
        }
        catch (CryptographicException)
        {
            return null;
        }
    }
}
