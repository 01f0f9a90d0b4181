using System.Text;
using System.Threading.RateLimiting;
using Geralt;
using Latchkey.Server.Infrastructure.Problems;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Features.Passwords;

/// <summary>
/// Argon2id through native libsodium. Hashing is the most expensive thing the server does, so a
/// concurrency limiter keeps about one hash per core running and a bounded queue waiting; past
/// that the caller gets 429 rather than latency that grows without bound. (This bounds one
/// node's CPU; it holds no security state.)
/// </summary>
public sealed class PasswordHasher : IDisposable
{
    private readonly PasswordOptions _options;
    private readonly ConcurrencyLimiter _limiter;
    private readonly Lazy<string> _decoyHash;

    public PasswordHasher(IOptions<PasswordOptions> options)
    {
        _options = options.Value;
        _limiter = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = _options.MaxConcurrent,
            QueueLimit = _options.MaxQueued,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
        _decoyHash = new Lazy<string>(() => Hash("latchkey-decoy-password-" + Guid.NewGuid()));
    }

    public async Task<string> HashAsync(string password, CancellationToken ct)
    {
        using var lease = await AcquireAsync(ct);
        return Hash(password);
    }

    /// <summary>
    /// Verifies a password; with no stored hash (unknown user) it verifies against a decoy so the
    /// answer costs the same time either way.
    /// </summary>
    public async Task<PasswordCheck> VerifyAsync(string? storedHash, string password, CancellationToken ct)
    {
        using var lease = await AcquireAsync(ct);
        var hash = storedHash ?? _decoyHash.Value;
        var normalised = Normalise(password);
        var valid = Argon2id.VerifyHash(hash, Encoding.UTF8.GetBytes(normalised));
        if (!valid && storedHash is not null && normalised != password
            && Argon2id.VerifyHash(hash, Encoding.UTF8.GetBytes(password)))
        {
            // Note: builds before ICU was enabled stored such passwords unnormalised; the login
            // that proves one re-hashes it in its normal form.
            return PasswordCheck.ValidNeedsRehash;
        }
        if (storedHash is null || !valid)
        {
            return PasswordCheck.Wrong;
        }
        return Argon2id.NeedsRehash(hash, _options.Iterations, _options.MemoryKiB * 1024)
            ? PasswordCheck.ValidNeedsRehash
            : PasswordCheck.Valid;
    }

    private string Hash(string password)
    {
        var hash = new char[Argon2id.HashSize];
        Argon2id.ComputeHash(hash, Encoding.UTF8.GetBytes(Normalise(password)), _options.Iterations, _options.MemoryKiB * 1024);
        return new string(hash).TrimEnd('\0');
    }

    /// <summary>NIST SP 800-63B: passwords are compared after Unicode normalisation (NFKC).</summary>
    private static string Normalise(string password) => password.Normalize(NormalizationForm.FormKC);

    private async Task<RateLimitLease> AcquireAsync(CancellationToken ct)
    {
        var lease = await _limiter.AcquireAsync(1, ct);
        if (!lease.IsAcquired)
        {
            lease.Dispose();
            throw Problems.RateLimited(1, "The server is busy checking passwords; try again in a moment.");
        }
        return lease;
    }

    public void Dispose() => _limiter.Dispose();
}

public enum PasswordCheck
{
    Wrong,
    Valid,
    ValidNeedsRehash,
}
