using System.Text;
using Geralt;
using Latchkey.Server.Infrastructure.Problems;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Features.Passwords;

/// <summary>
/// Argon2id through native libsodium. Hashing is the most expensive thing the server does, so it
/// runs on <see cref="PasswordOptions.MaxConcurrent"/> dedicated threads with a bounded queue per
/// <see cref="HashLane"/> (sign-ins and new secrets take turns); past that the caller gets 429 at
/// once rather than latency that grows without bound.
/// </summary>
public sealed class PasswordHasher : IDisposable
{
    private readonly PasswordOptions _options;
    private readonly HashingQueue _queue;
    private readonly Lazy<string> _decoyHash;

    public PasswordHasher(IOptions<PasswordOptions> options)
    {
        _options = options.Value;
        _queue = new HashingQueue(_options.MaxConcurrent, _options.MaxQueued, TimeSpan.FromMilliseconds(_options.MaxQueueWaitMilliseconds));
        _decoyHash = new Lazy<string>(() => Hash("latchkey-decoy-password-" + Guid.NewGuid()));
    }

    /// <summary>
    /// Admits a request that is going to hash in <paramref name="lane"/>, first thing, or refuses it
    /// with 429 at once when the hashes already admitted would keep it waiting too long (see
    /// <see cref="HashingQueue.TryAdmit"/>). Dispose the admission when the request is done.
    /// </summary>
    public HashAdmission Admit(HashLane lane) =>
        _queue.TryAdmit(lane) ? new HashAdmission(_queue, lane) : throw Busy();

    /// <summary>Hashes a new secret, in the sign-up lane.</summary>
    public Task<string> HashAsync(string password, CancellationToken ct) => HashAsync(password, HashLane.SignUp, ct);

    public Task<string> HashAsync(string password, HashLane lane, CancellationToken ct) => RunAsync(lane, () => Hash(password), ct);

    /// <summary>
    /// Verifies a password, in the sign-in lane; with no stored hash (unknown user) it verifies
    /// against a decoy so the answer costs the same time either way.
    /// </summary>
    public Task<PasswordCheck> VerifyAsync(string? storedHash, string password, CancellationToken ct) =>
        RunAsync(HashLane.SignIn, () => Verify(storedHash, password), ct);

    private PasswordCheck Verify(string? storedHash, string password)
    {
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

    private Task<T> RunAsync<T>(HashLane lane, Func<T> work, CancellationToken ct) =>
        _queue.TryRun(lane, work, ct, out var result)
            ? result
            : throw Busy();

    private static ProblemException Busy() => Problems.RateLimited(1, "The server is busy checking passwords; try again in a moment.");

    public void Dispose() => _queue.Dispose();
}

/// <summary>A request admitted to hash (<see cref="PasswordHasher.Admit"/>); disposing it says it is done.</summary>
public sealed class HashAdmission : IDisposable
{
    private readonly HashingQueue _queue;
    private readonly HashLane _lane;
    private int _left;

    internal HashAdmission(HashingQueue queue, HashLane lane) => (_queue, _lane) = (queue, lane);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _left, 1) == 0)
        {
            _queue.Leave(_lane);
        }
    }
}

public enum PasswordCheck
{
    Wrong,
    Valid,
    ValidNeedsRehash,
}
