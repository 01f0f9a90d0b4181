using System.Collections.Concurrent;

namespace Latchkey.Server.Features.Tokens;

/// <summary>
/// Access tokens whose signature, issuer and audience were checked on this node, by the token's
/// exact text, so the ECDSA verification (about a tenth of an authenticated request's CPU) runs
/// once per token instead of on every request it makes. Only what the signature proves is kept:
/// whether the signing key is still published, whether the token has expired and whether its
/// session is live are decided from the database and the clock on every request (see
/// <see cref="Auth.BearerAuthenticationHandler"/>), so nothing here can be stale. Bounded: when
/// full it starts over, so a flood of distinct tokens costs at most <see cref="Capacity"/> entries.
/// </summary>
public sealed class VerifiedAccessTokens
{
    public const int Capacity = 10_000;

    private readonly ConcurrentDictionary<string, VerifiedAccessToken> _tokens = new(StringComparer.Ordinal);

    public bool TryGet(string token, out VerifiedAccessToken verified) => _tokens.TryGetValue(token, out verified!);

    public void Add(string token, VerifiedAccessToken verified)
    {
        if (_tokens.Count >= Capacity)
        {
            _tokens.Clear();
        }
        _tokens.TryAdd(token, verified);
    }
}

/// <summary>What a verified signature proves: the ids the token names, the key that signed it and its expiry.</summary>
public sealed record VerifiedAccessToken(string AppId, Guid UserId, Guid SessionId, string KeyId, DateTime ExpiresAt);
