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

/// <summary>Creates users with an email and a password, and finds them by email.</summary>
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
        var emailIndex = serverKeys.Blind(app.Id, "email", normalisedEmail);
        if (await db.Users.AnyAsync(u => u.AppId == app.Id && u.EmailIndex == emailIndex, ct))
        {
            throw Problems.EmailTaken();
        }

        var passwordHash = await hasher.HashAsync(password, ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var user = new User
        {
            Id = Guid.CreateVersion7(),
            AppId = app.Id,
            EmailIndex = emailIndex,
            PasswordHash = passwordHash,
            Role = role,
            Plan = Plans.Free,
            CreatedAt = now,
            UpdatedAt = now,
        };
        var key = await keyring.CreateAsync(user.Id, app.Id, ct);
        user.EmailSealed = key.Encrypt(UserFields.Email, normalisedEmail);
        if (metadata is not null)
        {
            user.ProfileSealed = key.Encrypt(UserFields.Profile, JsonSerializer.Serialize(new Profile { Metadata = metadata }, JsonSerializerOptions.Web));
        }

        db.Users.Add(user);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // Two sign-ups for one email raced past the check: the unique index decided.
            db.ChangeTracker.Clear();
            await keyring.DestroyAsync(user.Id, CancellationToken.None);
            if (await db.Users.AnyAsync(u => u.AppId == app.Id && u.EmailIndex == emailIndex, CancellationToken.None))
            {
                throw Problems.EmailTaken();
            }
            throw;
        }
        return new Created(user, key, UserProfiles.View(user, key));
    }

    public Task<User?> FindByEmailAsync(App app, string normalisedEmail, CancellationToken ct)
    {
        var emailIndex = serverKeys.Blind(app.Id, "email", normalisedEmail);
        return db.Users.FirstOrDefaultAsync(u => u.AppId == app.Id && u.EmailIndex == emailIndex, ct);
    }
}
