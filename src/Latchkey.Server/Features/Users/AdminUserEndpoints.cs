using Latchkey.Server.Features.CustomRoles;
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
        admin.MapGet("/apps/{appId}/users", SearchAsync).RequireAdminPermission(AdminPermissions.UsersRead)
            .WithSummary("List an app's users, or find one by exact email, phone or user name (?q=); ?anonymous=true lists anonymous users");
        admin.MapGet("/apps/{appId}/users/{userId:guid}", GetAsync).RequireAdminPermission(AdminPermissions.UsersRead).WithSummary("Read one user");
        admin.MapPost("/apps/{appId}/users/{userId:guid}/sessions/revoke", RevokeSessionsAsync).RequireAdminPermission(AdminPermissions.UsersWrite).WithSummary("End all of a user's sessions");
        return admin;
    }

    public sealed record AdminUserView(Guid Id, string Handle, string? Email, bool EmailVerified, string? Phone, bool PhoneVerified,
        string? Username, bool Anonymous, bool Disabled, string Role, string Plan, DateTime CreatedAt);

    public sealed record RevokedSessions(int Revoked);

    internal static async Task<Ok<List<AdminUserView>>> SearchAsync(
        AdminCaller admin, string appId, string? q, bool? anonymous, int? limit, LatchkeyDbContext db, UserKeyring keyring,
        Infrastructure.Crypto.ServerKeys serverKeys, CancellationToken ct)
    {
        var query = db.Users.AsNoTracking().Where(u => u.AppId == appId);
        if (anonymous is { } isAnonymous)
        {
            query = query.Where(u => u.Anonymous == isAnonymous);
        }
        if (!string.IsNullOrWhiteSpace(q))
        {
            // Handles are sealed: an exact (normalised) match through the blind indexes is what can be searched.
            var emailIndex = EmailAddress.TryNormalise(q, out var email) ? serverKeys.Blind(appId, "email", email) : [];
            var phoneIndex = Phones.TryNormalise(q, null, out var phone) ? serverKeys.Blind(appId, "phone", phone) : [];
            var nameIndex = UserNames.TryNormalise(q, out _, out var folded, out _) ? serverKeys.Blind(appId, "username", folded) : [];
            query = query.Where(u => u.EmailIndex == emailIndex || u.PhoneIndex == phoneIndex || u.UsernameIndex == nameIndex);
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

    internal static async Task<AdminUserView> ViewAsync(User user, UserKeyring keyring, CancellationToken ct)
    {
        var key = await keyring.FindAsync(user.Id, ct);
        var handles = key is null ? null : UserProfiles.View(user, key);
        return new AdminUserView(user.Id, handles?.Handle ?? user.Id.ToString(), handles?.Email, user.EmailVerified, handles?.Phone, user.PhoneVerified,
            handles?.Username, user.Anonymous, user.Disabled, user.Role, user.Plan, user.CreatedAt);
    }
}
