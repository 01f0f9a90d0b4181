using Latchkey.Server.Features.Auth;
using Latchkey.Server.Features.Sessions;
using Latchkey.Server.Infrastructure.KeyStore;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Server.Infrastructure.Problems;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.Users;

/// <summary>Admin API for an app's users. Search by email goes through the blind index.</summary>
public static class AdminUserEndpoints
{
    public static RouteGroupBuilder MapAdminUserEndpoints(this RouteGroupBuilder admin)
    {
        admin.MapGet("/apps/{appId}/users", SearchAsync).WithSummary("List an app's users, or find one by exact email (?q=)");
        admin.MapGet("/apps/{appId}/users/{userId:guid}", GetAsync).WithSummary("Read one user");
        admin.MapPost("/apps/{appId}/users/{userId:guid}/sessions/revoke", RevokeSessionsAsync).WithSummary("End all of a user's sessions");
        return admin;
    }

    public sealed record AdminUserView(Guid Id, string? Email, bool EmailVerified, bool Anonymous, bool Disabled, string Role, string Plan, DateTime CreatedAt);

    public sealed record RevokedSessions(int Revoked);

    internal static async Task<Ok<List<AdminUserView>>> SearchAsync(
        AdminCaller admin, string appId, string? q, int? limit, LatchkeyDbContext db, UserKeyring keyring,
        Infrastructure.Crypto.ServerKeys serverKeys, CancellationToken ct)
    {
        var query = db.Users.AsNoTracking().Where(u => u.AppId == appId);
        if (!string.IsNullOrWhiteSpace(q))
        {
            // Emails are sealed: an exact (normalised) match is what can be searched.
            var index = EmailAddress.TryNormalise(q, out var email) ? serverKeys.Blind(appId, "email", email) : [];
            query = query.Where(u => u.EmailIndex == index);
        }
        var users = await query.OrderBy(u => u.CreatedAt).Take(Math.Clamp(limit ?? 50, 1, 200)).ToListAsync(ct);
        var views = new List<AdminUserView>(users.Count);
        foreach (var user in users)
        {
            views.Add(await ViewAsync(user, keyring, ct));
        }
        return TypedResults.Ok(views);
    }

    internal static async Task<Ok<AdminUserView>> GetAsync(AdminCaller admin, string appId, Guid userId, LatchkeyDbContext db, UserKeyring keyring, CancellationToken ct)
    {
        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == userId && u.AppId == appId, ct)
            ?? throw Problems.NotFound("This app has no user with this id.");
        return TypedResults.Ok(await ViewAsync(user, keyring, ct));
    }

    internal static async Task<Ok<RevokedSessions>> RevokeSessionsAsync(
        AdminCaller admin, string appId, Guid userId, LatchkeyDbContext db, SessionService sessions, CancellationToken ct)
    {
        if (!await db.Users.AnyAsync(u => u.Id == userId && u.AppId == appId, ct))
        {
            throw Problems.NotFound("This app has no user with this id.");
        }
        return TypedResults.Ok(new RevokedSessions(await sessions.RevokeAllAsync(userId, RevokeReasons.Admin, ct)));
    }

    private static async Task<AdminUserView> ViewAsync(User user, UserKeyring keyring, CancellationToken ct)
    {
        var key = await keyring.FindAsync(user.Id, ct);
        return new AdminUserView(user.Id, key?.Decrypt(UserFields.Email, user.EmailSealed), user.EmailVerified, user.Anonymous,
            user.Disabled, user.Role, user.Plan, user.CreatedAt);
    }
}
