using System.ComponentModel.DataAnnotations;

namespace Latchkey.Server.Features.RateLimits;

/// <summary>
/// How failed credential checks slow an attacker down (S5, NIST SP 800-63B §5.2.2, OWASP ASVS
/// V2.2.1): per account, a few free failures, then a wait that doubles with each failure, and a
/// long lock at <see cref="LockAfterFailures"/> (at most 100) consecutive failures; per source
/// address and app, at most <see cref="AddressFailures"/> failures per window.
/// </summary>
public sealed class RateLimitOptions
{
    public const string Section = "Latchkey:RateLimits";

    /// <summary>Consecutive failures of one account that cost no wait.</summary>
    [Range(1, 99)]
    public int FreeFailures { get; set; } = 5;

    /// <summary>The wait after the first failure beyond the free ones; it doubles with each further one.</summary>
    [Range(1, 3600)]
    public int FirstDelaySeconds { get; set; } = 1;

    [Range(1, 86_400)]
    public int MaxDelaySeconds { get; set; } = 900;

    /// <summary>At this many consecutive failures the account waits <see cref="LockSeconds"/> (NIST: no more than 100).</summary>
    [Range(2, 100)]
    public int LockAfterFailures { get; set; } = 100;

    /// <summary>Never permanent: after it the owner can sign in again (and each further failure locks again).</summary>
    [Range(1, 86_400)]
    public int LockSeconds { get; set; } = 3600;

    /// <summary>Failures one source address may cause in one app per window, whatever accounts they aim at.</summary>
    [Range(1, 1_000_000)]
    public int AddressFailures { get; set; } = 100;

    [Range(1, 86_400)]
    public int AddressWindowSeconds { get; set; } = 900;

    public TimeSpan AddressWindow => TimeSpan.FromSeconds(AddressWindowSeconds);

    /// <summary>How long an account waits after its <paramref name="consecutiveFailures"/>-th failure in a row; null: not at all.</summary>
    public TimeSpan? DelayAfter(int consecutiveFailures)
    {
        if (consecutiveFailures >= LockAfterFailures)
        {
            return TimeSpan.FromSeconds(LockSeconds);
        }
        if (consecutiveFailures < FreeFailures)
        {
            return null;
        }
        var doublings = consecutiveFailures - FreeFailures;
        var seconds = doublings >= 31 ? MaxDelaySeconds : Math.Min((long)FirstDelaySeconds << doublings, MaxDelaySeconds);
        return TimeSpan.FromSeconds(seconds);
    }

    public static bool IsConsistent(RateLimitOptions o) => o.FreeFailures < o.LockAfterFailures && o.FirstDelaySeconds <= o.MaxDelaySeconds;
}
