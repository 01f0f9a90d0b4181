using System.ComponentModel.DataAnnotations;
using Latchkey.Server.Features.Users;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Features.RateLimits;

/// <summary>
/// What the codes and links that anyone may ask for (sign-up, sign-in by code, recovery,
/// verification) can cost an app, counted per fixed window in the database: per client address,
/// per app, and for SMS per destination country, with an optional list of the only countries SMS
/// go to (SMS pumping sends to premium numbers in a few countries). Sign-ups also have a budget per
/// address, spent before anything is hashed.
/// </summary>
public sealed class SendLimitOptions
{
    public const string Section = "Latchkey:SendLimits";

    /// <summary>Codes and links one client address (IPv6: its /64) may have sent per app and window.</summary>
    [Range(1, 1_000_000)]
    public int AddressSends { get; set; } = 50;

    /// <summary>Codes and links per app and window, whoever asks: the ceiling of what a flood can cost.</summary>
    [Range(1, 100_000_000)]
    public int AppSends { get; set; } = 10_000;

    /// <summary>SMS per app and window to the numbers of one country (as a number's prefix says).</summary>
    [Range(1, 100_000_000)]
    public int CountrySms { get; set; } = 1_000;

    /// <summary>Sign-ups one client address may start per app and window.</summary>
    [Range(1, 1_000_000)]
    public int AddressSignups { get; set; } = 50;

    [Range(60, 604_800)]
    public int WindowSeconds { get; set; } = 3600;

    /// <summary>Comma-separated ISO 3166 region codes (<c>GB, IE</c>) that SMS may go to; empty: every country.</summary>
    public string? SmsCountries { get; set; }

    public TimeSpan Window => TimeSpan.FromSeconds(WindowSeconds);

    /// <summary>The SMS countries, upper case; empty when every country is allowed.</summary>
    public IReadOnlySet<string> SmsCountryList() =>
        (SmsCountries ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(c => c.ToUpperInvariant()).ToHashSet(StringComparer.Ordinal);

    internal sealed class Validation : IValidateOptions<SendLimitOptions>
    {
        public ValidateOptionsResult Validate(string? name, SendLimitOptions options)
        {
            var unknown = options.SmsCountryList().Where(c => !Phones.IsRegion(c)).ToList();
            return unknown.Count == 0
                ? ValidateOptionsResult.Success
                : ValidateOptionsResult.Fail(
                    $"Latchkey:SendLimits:SmsCountries must be a comma-separated list of ISO 3166 region codes (e.g. \"GB, IE\"); not known: {string.Join(", ", unknown)}.");
        }
    }
}
