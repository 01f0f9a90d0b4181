using Latchkey.Server.Features.Users;
using Latchkey.Server.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.Auth;

/// <summary>
/// The caller's user row as the bearer check read it for this request (with its session, in one
/// query), so a read-only endpoint such as GET /me does not read it a second time.
/// </summary>
public sealed record SignedInUser(User User)
{
    /// <summary>The caller's row, untracked: the one this request's bearer check read, or a fresh read.</summary>
    public static async Task<User> ReadAsync(HttpContext http, LatchkeyDbContext db, Guid userId, CancellationToken ct) =>
        http.Features.Get<SignedInUser>() is { } signedIn && signedIn.User.Id == userId
            ? signedIn.User
            : await db.Users.AsNoTracking().FirstAsync(u => u.Id == userId, ct);
}
