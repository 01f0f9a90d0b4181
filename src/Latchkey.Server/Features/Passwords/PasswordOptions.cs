using System.ComponentModel.DataAnnotations;

namespace Latchkey.Server.Features.Passwords;

/// <summary>
/// Argon2id cost (OWASP: 19 MiB, t=2, p=1; libsodium always uses p=1) and how many hashes may
/// run and wait at once. Raising the cost re-hashes each password at its owner's next login.
/// </summary>
public sealed class PasswordOptions
{
    public const string Section = "Latchkey:Passwords";

    [Range(8 * 1024, 4 * 1024 * 1024)]
    public int MemoryKiB { get; set; } = 19 * 1024;

    [Range(1, 20)]
    public int Iterations { get; set; } = 2;

    /// <summary>Dedicated hashing threads, so hashes computed at once; default one per core.</summary>
    [Range(1, 1024)]
    public int MaxConcurrent { get; set; } = Environment.ProcessorCount;

    /// <summary>Hashes that may wait in each lane (sign-ins; sign-ups and other new secrets) before the server answers 429.</summary>
    [Range(0, 100_000)]
    public int MaxQueued { get; set; } = Environment.ProcessorCount * 32;

    /// <summary>
    /// The longest a hash may expect to wait for a thread (the hashes ahead of it at the measured
    /// time per hash); past it the server answers 429 at once. A burst of sign-ins within it is
    /// served; sustained overload is refused instead of turned into latency.
    /// </summary>
    [Range(1, 60_000)]
    public int MaxQueueWaitMilliseconds { get; set; } = 500;

    [Range(8, 64)]
    public int MinLength { get; set; } = 8;

    [Range(64, 4096)]
    public int MaxLength { get; set; } = 1024;
}
