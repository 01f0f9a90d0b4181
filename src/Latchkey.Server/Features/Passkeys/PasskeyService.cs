using System.Text.Json;
using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.Audit;
using Latchkey.Server.Features.Challenges;
using Latchkey.Server.Features.Users;
using Latchkey.Server.Infrastructure.Crypto;
using Latchkey.Server.Infrastructure.KeyStore;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Server.Infrastructure.Problems;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.Passkeys;

/// <summary>
/// Passkeys (S3): registration by a signed-in user, passwordless sign-in, and the assertion that
/// completes a sign-in waiting for its second factor. <see cref="WebAuthnVerifier"/> checks the
/// responses; this class decides which ceremony, credential and user they are about, stores the
/// counter, and records every refusal (a warning and a <c>security.passkey_refused</c> audit record).
/// </summary>
public sealed class PasskeyService(
    LatchkeyDbContext db,
    PasskeyCeremonies ceremonies,
    RelyingParty relyingParty,
    UserKeyring keyring,
    AuditLog audit,
    TimeProvider clock,
    ILogger<PasskeyService> logger)
{
    public const string RefusedAction = "security.passkey_refused";
    public const string AddedAction = "security.passkey_added";
    public const string RemovedAction = "security.passkey_removed";
    public const int MaxPerUser = 20;

    /// <summary>Options for navigator.credentials.create: resident key and user verification preferred.</summary>
    public async Task<PasskeyCreationOptions> CreationOptionsAsync(App app, User user, string attestation, CancellationToken ct)
    {
        var started = await ceremonies.StartAsync(app, ChallengePurposes.PasskeyRegistration, user.Id, PasskeyCeremonies.UserScope(user.Id), ct);
        var key = await keyring.GetAsync(user.Id, ct);
        var view = UserProfiles.View(user, key);
        var displayName = key.Decrypt(UserFields.Profile, user.ProfileSealed) is { } profile
            ? JsonSerializer.Deserialize<Users.Profile>(profile, JsonSerializerOptions.Web)?.DisplayName
            : null;
        return new PasskeyCreationOptions(
            started.Id,
            started.Challenge,
            new PasskeyRp(relyingParty.Id, app.Name),
            new PasskeyUser(UserHandle(user.Id), view.Handle, displayName ?? view.Username ?? view.Handle),
            CoseAlgorithms.Offered.Select(alg => new PasskeyAlgorithm(alg)).ToList(),
            (int)PasskeyCeremonies.Lifetime.TotalMilliseconds,
            await DescriptorsAsync(user.Id, ct),
            new PasskeyAuthenticatorSelection("preferred", RequireResidentKey: false, "preferred"),
            attestation);
    }

    public async Task<PasskeyCredential> RegisterAsync(App app, User user, Guid? ceremonyId, PasskeyCredentialJson? credential, string? name, CancellationToken ct)
    {
        if (await db.PasskeyCredentials.CountAsync(c => c.UserId == user.Id, ct) >= MaxPerUser)
        {
            throw Problems.InvalidRequest($"A user may have at most {MaxPerUser} passkeys; remove one first.");
        }
        var verified = await RefusalsRecordedAsync(app, user.Id, null, async () =>
        {
            var (challenge, owner) = await ceremonies.ConsumeAsync(app, ceremonyId, ChallengePurposes.PasskeyRegistration, PasskeyCeremonies.UserScope(user.Id), ct);
            if (owner != user.Id)
            {
                throw new PasskeyCheckException(PasskeyChecks.Ceremony, "This passkey ceremony was started by another user.");
            }
            var result = WebAuthnVerifier.VerifyRegistration(credential, Expect(challenge, requireUserVerification: false), clock.GetUtcNow().UtcDateTime);
            if (await db.PasskeyCredentials.AnyAsync(c => c.AppId == app.Id && c.CredentialId == result.CredentialId, ct))
            {
                throw Taken();
            }
            return result;
        });

        var now = clock.GetUtcNow().UtcDateTime;
        var row = new PasskeyCredential
        {
            Id = Guid.CreateVersion7(),
            AppId = app.Id,
            UserId = user.Id,
            CredentialId = verified.CredentialId,
            PublicKeyCose = verified.PublicKeyCose,
            SignCount = verified.SignCount,
            Aaguid = verified.Aaguid,
            AttestationFormat = verified.Format,
            Transports = verified.Transports.Count == 0 ? null : string.Join(',', verified.Transports),
            BackupEligible = verified.BackupEligible,
            Name = string.IsNullOrWhiteSpace(name) ? null : name.Trim(),
            CreatedAt = now,
        };
        db.PasskeyCredentials.Add(row);
        var added = audit.RecordSelf(app.Id, user.Id, AddedAction, $"passkey={row.Id}; format={row.AttestationFormat}");
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // Note: two registrations of one credential id in a race: the unique index decides.
            db.Entry(row).State = EntityState.Detached;
            db.Entry(added).State = EntityState.Detached;
            await RefusalsRecordedAsync<bool>(app, user.Id, null, () => throw Taken());
        }
        return row;
    }

    /// <summary>Options for navigator.credentials.get, for passwordless sign-in (any discoverable credential) or one user's credentials.</summary>
    public async Task<PasskeyRequestOptions> RequestOptionsAsync(App app, Guid? userId, string scope, bool requireUserVerification, CancellationToken ct)
    {
        var started = await ceremonies.StartAsync(app, ChallengePurposes.PasskeyLogin, userId, scope, ct);
        return new PasskeyRequestOptions(
            started.Id,
            started.Challenge,
            relyingParty.Id,
            (int)PasskeyCeremonies.Lifetime.TotalMilliseconds,
            userId is { } id ? await DescriptorsAsync(id, ct) : [],
            requireUserVerification ? "required" : "preferred");
    }

    /// <summary>
    /// Passwordless sign-in: the passkey alone, so it must have verified its user (UV). Answers the
    /// user; the caller starts the session.
    /// </summary>
    public async Task<User> SignInAsync(App app, Guid? ceremonyId, PasskeyCredentialJson? credential, CancellationToken ct)
    {
        var attempt = new Attempt();
        return await RefusalsRecordedAsync(app, null, attempt, async () =>
        {
            var (challenge, _) = await ceremonies.ConsumeAsync(app, ceremonyId, ChallengePurposes.PasskeyLogin, PasskeyCeremonies.LoginScope, ct);
            var stored = await FindAsync(app, credential, ownerId: null, attempt, ct);
            // §7.2 step 6: the user was not named before, so the response must name them.
            var handle = WebAuthnVerifier.UserHandleOf(credential)
                ?? throw new PasskeyCheckException(PasskeyChecks.UserHandle, "A passwordless sign-in response must carry the user handle.");
            CheckHandle(stored, handle);
            var user = await db.Users.FirstOrDefaultAsync(u => u.Id == stored.UserId, ct)
                ?? throw new PasskeyCheckException(PasskeyChecks.UnknownCredential, "The user of this passkey no longer exists.");
            await AssertAsync(stored, credential, challenge, requireUserVerification: true, ct);
            return user;
        });
    }

    /// <summary>The second factor of a pending sign-in: an assertion of one of this user's passkeys, for a ceremony of that sign-in.</summary>
    public async Task VerifySecondFactorAsync(App app, User user, Guid mfaChallengeId, PasskeyCredentialJson? credential, CancellationToken ct)
    {
        var attempt = new Attempt { UserId = user.Id };
        await RefusalsRecordedAsync(app, user.Id, attempt, async () =>
        {
            var challenge = WebAuthnVerifier.ChallengeOf(credential);
            var (expected, owner) = await ceremonies.ConsumeByChallengeAsync(app, ChallengePurposes.PasskeyLogin, PasskeyCeremonies.MfaScope(mfaChallengeId), challenge, ct);
            if (owner != user.Id)
            {
                throw new PasskeyCheckException(PasskeyChecks.Ceremony, "This passkey ceremony belongs to another sign-in.");
            }
            var stored = await FindAsync(app, credential, user.Id, attempt, ct);
            if (WebAuthnVerifier.UserHandleOf(credential) is { } handle)
            {
                CheckHandle(stored, handle);
            }
            await AssertAsync(stored, credential, expected, requireUserVerification: false, ct);
            return true;
        });
    }

    /// <summary>The user's passkeys in the app.</summary>
    public IQueryable<PasskeyCredential> Of(App app, Guid userId) =>
        db.PasskeyCredentials.Where(c => c.AppId == app.Id && c.UserId == userId);

    public async Task<List<PasskeyView>> ListAsync(App app, Guid userId, CancellationToken ct) =>
        (await db.PasskeyCredentials.AsNoTracking().Where(c => c.AppId == app.Id && c.UserId == userId).OrderBy(c => c.CreatedAt).ToListAsync(ct))
            .Select(PasskeyView.Of).ToList();

    public async Task<bool> RemoveAsync(App app, Guid userId, Guid id, CancellationToken ct)
    {
        if (await db.PasskeyCredentials.Where(c => c.Id == id && c.AppId == app.Id && c.UserId == userId).ExecuteDeleteAsync(ct) == 0)
        {
            return false;
        }
        audit.RecordSelf(app.Id, userId, RemovedAction, $"passkey={id}");
        await db.SaveChangesAsync(ct);
        return true;
    }

    /// <summary>The WebAuthn user handle of a user: the id's 16 bytes, opaque to the authenticator.</summary>
    public static string UserHandle(Guid userId) => Base64Url.Encode(userId.ToByteArray(bigEndian: true));

    public static IReadOnlyList<string> Transports(PasskeyCredential credential) =>
        credential.Transports?.Split(',', StringSplitOptions.RemoveEmptyEntries) ?? [];

    private async Task<List<PasskeyDescriptor>> DescriptorsAsync(Guid userId, CancellationToken ct) =>
        (await db.PasskeyCredentials.AsNoTracking().Where(c => c.UserId == userId).OrderBy(c => c.CreatedAt).ToListAsync(ct))
            .Select(c => new PasskeyDescriptor(Base64Url.Encode(c.CredentialId), c.Transports is null ? null : Transports(c)))
            .ToList();

    private PasskeyExpectation Expect(string challenge, bool requireUserVerification) =>
        new(challenge, relyingParty.Origins, relyingParty.Id, requireUserVerification);

    private async Task<PasskeyCredential> FindAsync(App app, PasskeyCredentialJson? credential, Guid? ownerId, Attempt attempt, CancellationToken ct)
    {
        var id = WebAuthnVerifier.CredentialIdOf(credential);
        var stored = await db.PasskeyCredentials.AsNoTracking().FirstOrDefaultAsync(c => c.AppId == app.Id && c.CredentialId == id, ct);
        if (stored is null || (ownerId is not null && stored.UserId != ownerId))
        {
            throw new PasskeyCheckException(PasskeyChecks.UnknownCredential, "This passkey is not registered for this sign-in.");
        }
        attempt.UserId = stored.UserId;
        attempt.CredentialRowId = stored.Id;
        return stored;
    }

    private static void CheckHandle(PasskeyCredential stored, byte[] handle)
    {
        if (!handle.AsSpan().SequenceEqual(stored.UserId.ToByteArray(bigEndian: true)))
        {
            throw new PasskeyCheckException(PasskeyChecks.UserHandle, "The response's user handle is not the owner of this passkey.");
        }
    }

    private async Task AssertAsync(PasskeyCredential stored, PasskeyCredentialJson? credential, string challenge, bool requireUserVerification, CancellationToken ct)
    {
        var verified = WebAuthnVerifier.VerifyAssertion(credential, Expect(challenge, requireUserVerification), stored.PublicKeyCose, stored.SignCount);
        var now = clock.GetUtcNow().UtcDateTime;
        // Note: the counter moves only from the value this check saw, so two assertions racing
        // with one counter value cannot both pass, on any node.
        var moved = await db.PasskeyCredentials
            .Where(c => c.Id == stored.Id && c.SignCount == stored.SignCount)
            .ExecuteUpdateAsync(c => c.SetProperty(x => x.SignCount, (long)verified.SignCount).SetProperty(x => x.LastUsedAt, now), ct);
        if (moved == 0)
        {
            throw new PasskeyCheckException(PasskeyChecks.Counter, "This passkey was used by another sign-in at the same moment.");
        }
    }

    private static PasskeyCheckException Taken() =>
        new(PasskeyChecks.CredentialTaken, "This passkey is already registered in this app.");

    private sealed class Attempt
    {
        public Guid? UserId { get; set; }
        public Guid? CredentialRowId { get; set; }
    }

    private async Task<T> RefusalsRecordedAsync<T>(App app, Guid? userId, Attempt? attempt, Func<Task<T>> check)
    {
        try
        {
            return await check();
        }
        catch (PasskeyCheckException refused)
        {
            var who = attempt?.UserId ?? userId;
            var passkey = attempt?.CredentialRowId;
            if (refused.Check == PasskeyChecks.Counter)
            {
                logger.LogWarning("Passkey {PasskeyId} of user {UserId} in app {AppId} refused: its counter did not increase (cloned authenticator?): {Detail}",
                    passkey, who, app.Id, refused.Message);
            }
            else
            {
                logger.LogWarning("Passkey response refused in app {AppId} for user {UserId}: {Check}: {Detail}", app.Id, who, refused.Check, refused.Message);
            }
            audit.RecordSelf(app.Id, who, RefusedAction, $"check={refused.Check}" + (passkey is null ? "" : $"; passkey={passkey}"));
            // Note: recorded even when the client has gone away: the attempt happened.
            await db.SaveChangesAsync(CancellationToken.None);
            throw refused.ToProblem();
        }
    }
}
