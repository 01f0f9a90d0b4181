using System.Globalization;
using System.Security.Cryptography;
using Latchkey.Server.Infrastructure.Crypto;

namespace Latchkey.Server.Features.Challenges;

/// <summary>The 6-digit codes sent by email and SMS (challenges and invitations): made, stored and compared one way.</summary>
public static class OneTimeCodes
{
    public const int Length = 6;

    public static string New() => RandomNumberGenerator.GetInt32(0, 1_000_000).ToString("D6", CultureInfo.InvariantCulture);

    /// <summary>Constant-time comparison of a given code with the stored HMAC of the row's code.</summary>
    public static bool Matches(ServerKeys keys, Guid owner, byte[]? stored, string? code) =>
        stored is not null && code is { Length: Length } && code.All(char.IsAsciiDigit)
        && CryptographicOperations.FixedTimeEquals(stored, keys.CodeHash(owner, code));
}
