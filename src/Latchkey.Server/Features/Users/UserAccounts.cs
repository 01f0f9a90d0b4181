using System.Text.Json;
using System.Text.Json.Nodes;
using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.Passwords;
using Latchkey.Server.Infrastructure.Crypto;
using Latchkey.Server.Infrastructure.KeyStore;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Server.Infrastructure.Problems;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.Users;

/// <summary>What a new user starts with; handles are already normalised and checked.</summary>
public sealed record NewUser
{
    public string? Email { get; init; }
    public bool EmailVerified { get; init; }
    public string? Phone { get; init; }
    public bool PhoneVerified { get; init; }
    /// <summary>The user name as written (<see cref="UserNames.TryNormalise"/>).</summary>
    public string? Username { get; init; }
    public string? PasswordHash { get; init; }
    public bool Anonymous { get; init; }
    public string Role { get; init; } = Roles.User;
    public JsonObject? Metadata { get; init; }
    /// <summary>What the app grants (<see cref="Profile.AppMetadata"/>): only from admins, app server keys and trusted invitations.</summary>
    public JsonObject? AppMetadata { get; init; }
}

/// <summary>Creates users and finds them by any of their handles (through blind indexes).</summary>
public sealed class UserAccounts(
    LatchkeyDbContext db,
    UserKeyring keyring,
    ServerKeys serverKeys,
    PasswordHasher hasher,
    PasswordPolicy policy,
    TimeProvider clock)
{
    public sealed record Created(User User, UserKey Key, UserView View);

    public async Task<Created> CreateWithPasswordAsync(
        App app, string normalisedEmail, string password, string role, JsonObject? metadata, CancellationToken ct)
    {
        policy.Check(password, normalisedEmail);
        await EnsureAvailableAsync(app, normalisedEmail, null, null, null, ct);
        var hash = await hasher.HashAsync(password, ct);
        // Note: only operators are made this way (bootstrap, setup link): their email is taken as verified.
        return await CreateAsync(app, new NewUser { Email = normalisedEmail, EmailVerified = true, PasswordHash = hash, Role = role, Metadata = metadata }, ct);
    }

    /// <summary>Stores a new user with a data key of its own; a race on a handle answers as taken.</summary>
    public async Task<Created> CreateAsync(App app, NewUser spec, CancellationToken ct)
    {
        // Note: every way in ends here (sign-up, code sign-in, invitations, admins), so a
        // look-alike is refused even when its sign-up was started before the real address existed.
        if (spec.Email is not null && await LooksLikeAnotherEmailAsync(app.Id, spec.Email, null, ct))
        {
            throw Problems.EmailTaken();
        }
        var now = clock.GetUtcNow().UtcDateTime;
        var user = new User
        {
            Id = Guid.CreateVersion7(),
            AppId = app.Id,
            PasswordHash = spec.PasswordHash,
            Role = spec.Role,
            Plan = Plans.Free,
            Anonymous = spec.Anonymous,
            CreatedAt = now,
            UpdatedAt = now,
        };
        var key = await keyring.CreateAsync(user.Id, app.Id, ct);
        SetEmail(user, key, spec.Email, spec.EmailVerified);
        SetPhone(user, key, spec.Phone, spec.PhoneVerified);
        SetUsername(user, key, spec.Username);
        if (spec.Metadata is not null || spec.AppMetadata is not null)
        {
            user.ProfileSealed = key.Encrypt(UserFields.Profile,
                JsonSerializer.Serialize(new Profile { Metadata = spec.Metadata, AppMetadata = spec.AppMetadata }, JsonSerializerOptions.Web));
        }

        db.Users.Add(user);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // Two sign-ups for one handle raced past the check: the unique index decided.
            db.ChangeTracker.Clear();
            await keyring.DestroyAsync(user.Id, CancellationToken.None);
            await EnsureAvailableAsync(app, spec.Email, spec.Phone, FoldedName(spec.Username), null, CancellationToken.None);
            throw;
        }
        return new Created(user, key, UserProfiles.View(user, key));
    }

    /// <summary>Refuses a handle that another user of the app (not <paramref name="except"/>) already has.</summary>
    public async Task EnsureAvailableAsync(App app, string? email, string? phone, string? foldedUsername, Guid? except, CancellationToken ct)
    {
        if (email is not null && (await TakenAsync(app.Id, "email", email, except, ct) || await LooksLikeAnotherEmailAsync(app.Id, email, except, ct)))
        {
            throw Problems.EmailTaken();
        }
        if (phone is not null && await TakenAsync(app.Id, "phone", phone, except, ct))
        {
            throw Problems.PhoneTaken();
        }
        if (foldedUsername is not null && await TakenAsync(app.Id, "username", foldedUsername, except, ct))
        {
            throw Problems.UsernameTaken();
        }
    }

    public async Task<bool> UsernameTakenAsync(App app, string folded, CancellationToken ct) => await TakenAsync(app.Id, "username", folded, null, ct);

    private Task<bool> TakenAsync(string appId, string kind, string value, Guid? except, CancellationToken ct)
    {
        var index = serverKeys.Blind(appId, kind, value);
        var users = db.Users.Where(u => u.AppId == appId && u.Id != except);
        return kind switch
        {
            "email" => users.AnyAsync(u => u.EmailIndex == index, ct),
            "phone" => users.AnyAsync(u => u.PhoneIndex == index, ct),
            _ => users.AnyAsync(u => u.UsernameIndex == index, ct),
        };
    }

    /// <summary>
    /// Defect 8 of the review: an address that looks like another user's (<c>l\u0435git@x</c>, with
    /// a Cyrillic е, beside <c>legit@x</c>) counts as taken, as if it were the same. Addresses
    /// that differ only in ASCII never do (<see cref="EmailAddress.Skeleton"/>); to know whether
    /// an existing look-alike is ASCII only, its email is opened (rare: it takes a skeleton match).
    /// </summary>
    private async Task<bool> LooksLikeAnotherEmailAsync(string appId, string email, Guid? except, CancellationToken ct)
    {
        var (skeleton, ascii) = EmailAddress.Skeleton(email);
        var index = SkeletonIndex(appId, skeleton);
        var alike = await db.Users.AsNoTracking()
            .Where(u => u.AppId == appId && u.Id != except && u.EmailSkeletonIndex == index)
            .Select(u => new { u.Id, u.EmailSealed })
            .Take(50)
            .ToListAsync(ct);
        if (!ascii)
        {
            return alike.Count > 0;
        }
        foreach (var other in alike)
        {
            var otherEmail = (await keyring.FindAsync(other.Id, ct))?.Decrypt(UserFields.Email, other.EmailSealed);
            if (otherEmail is not null && otherEmail != email && !EmailAddress.Skeleton(otherEmail).Ascii)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The blind index of an email's skeleton, keyed like the email's own index.</summary>
    public byte[] SkeletonIndex(string appId, string skeleton) => serverKeys.Blind(appId, "email-skeleton", skeleton);

    public void SetEmail(User user, UserKey key, string? email, bool verified)
    {
        user.EmailIndex = email is null ? null : serverKeys.Blind(user.AppId, "email", email);
        user.EmailSkeletonIndex = email is null ? null : SkeletonIndex(user.AppId, EmailAddress.Skeleton(email).Skeleton);
        user.EmailSealed = key.Encrypt(UserFields.Email, email);
        user.EmailVerified = email is not null && verified;
        EmailPrefixes.Sync(db, serverKeys, user, email);
    }

    /// <summary>
    /// <see cref="SetEmail"/> for a user who is already stored: their prefix rows are tracked
    /// first, so the new email replaces them in the same save.
    /// </summary>
    public async Task ChangeEmailAsync(User user, UserKey key, string email, bool verified, CancellationToken ct)
    {
        await db.UserEmailPrefixes.Where(p => p.UserId == user.Id).LoadAsync(ct);
        SetEmail(user, key, email, verified);
    }

    public void SetPhone(User user, UserKey key, string? phone, bool verified)
    {
        user.PhoneIndex = phone is null ? null : serverKeys.Blind(user.AppId, "phone", phone);
        user.PhoneSealed = key.Encrypt(UserFields.Phone, phone);
        user.PhoneVerified = phone is not null && verified;
    }

    public void SetUsername(User user, UserKey key, string? written)
    {
        user.UsernameIndex = FoldedName(written) is { } folded ? serverKeys.Blind(user.AppId, "username", folded) : null;
        user.UsernameSealed = key.Encrypt(UserFields.Username, written);
    }

    private static string? FoldedName(string? written) => written?.ToLowerInvariant();

    public Task<User?> FindByEmailAsync(App app, string normalisedEmail, CancellationToken ct)
    {
        var index = serverKeys.Blind(app.Id, "email", normalisedEmail);
        return db.Users.FirstOrDefaultAsync(u => u.AppId == app.Id && u.EmailIndex == index, ct);
    }

    public Task<User?> FindByPhoneAsync(App app, string e164, CancellationToken ct)
    {
        var index = serverKeys.Blind(app.Id, "phone", e164);
        return db.Users.FirstOrDefaultAsync(u => u.AppId == app.Id && u.PhoneIndex == index, ct);
    }

    public Task<User?> FindByUsernameAsync(App app, string folded, CancellationToken ct)
    {
        var index = serverKeys.Blind(app.Id, "username", folded);
        return db.Users.FirstOrDefaultAsync(u => u.AppId == app.Id && u.UsernameIndex == index, ct);
    }

    /// <summary>A login handle: an email, a phone number, or (where the app uses them) a user name.</summary>
    public async Task<User?> FindByHandleAsync(App app, string handle, string? region, CancellationToken ct)
    {
        if (handle.Contains('@'))
        {
            return EmailAddress.TryNormalise(handle, out var email) ? await FindByEmailAsync(app, email, ct) : null;
        }
        if (Phones.LooksLikePhone(handle))
        {
            return Phones.TryNormalise(handle, region, out var phone) ? await FindByPhoneAsync(app, phone, ct) : null;
        }
        return app.Settings.UsernamesEnabled && UserNames.TryNormalise(handle, out _, out var folded, out _)
            ? await FindByUsernameAsync(app, folded, ct)
            : null;
    }
}
