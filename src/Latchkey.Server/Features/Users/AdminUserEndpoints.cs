using Latchkey.Server.Features.CustomRoles;
using Latchkey.Server.Features.Audit;
using Latchkey.Server.Features.Auth;
using Latchkey.Server.Features.Plans;
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
            .WithSummary("List an app's users, or find one by exact email, phone or user name (?q=); with ?prefix=true also those whose email starts with q (3 characters or more); ?anonymous=true lists anonymous users; ?limit= and ?offset= page");
        admin.MapGet("/apps/{appId}/users/{userId:guid}", GetAsync).RequireAdminPermission(AdminPermissions.UsersRead).WithSummary("Read one user");
        admin.MapPost("/apps/{appId}/users/{userId:guid}/sessions/revoke", RevokeSessionsAsync).RequireAdminPermission(AdminPermissions.UsersWrite).WithSummary("End all of a user's sessions");
        return admin;
    }

    public sealed record AdminUserView(Guid Id, string Handle, string? Email, bool EmailVerified, string? Phone, bool PhoneVerified,
        string? Username, bool Anonymous, bool Disabled, string Role, string Plan, DateTime CreatedAt, IReadOnlyList<string> Roles)
    {
        /// <summary>U4: when the plan ends (UTC); null for free and for a paid plan without end. <see cref="Plan"/> is the plan the user has now.</summary>
        public DateTime? PlanExpiresAt { get; init; }

        /// <summary>The user's own metadata (they edit it with PATCH /me).</summary>
        public System.Text.Json.Nodes.JsonObject Metadata { get; init; } = [];

        /// <summary>What the app grants the user: admins, app server keys and trusted invitations write it.</summary>
        public System.Text.Json.Nodes.JsonObject AppMetadata { get; init; } = [];
    }

    public sealed record RevokedSessions(int Revoked);

    internal static async Task<Ok<List<AdminUserView>>> SearchAsync(
        AdminCaller admin, string appId, string? q, bool? anonymous, int? limit, int? offset, bool? prefix, LatchkeyDbContext db, UserKeyring keyring,
        Infrastructure.Crypto.ServerKeys serverKeys, AuditLog audit, TimeProvider clock, CancellationToken ct)
    {
        var query = db.Users.AsNoTracking().Where(u => u.AppId == appId);
        if (anonymous is { } isAnonymous)
        {
            query = query.Where(u => u.Anonymous == isAnonymous);
        }
        byte[] emailIndex = [], phoneIndex = [], nameIndex = [];
        if (!string.IsNullOrWhiteSpace(q))
        {
            // Handles are sealed: an exact (normalised) match through the blind indexes is what can be searched.
            emailIndex = EmailAddress.TryNormalise(q, out var email) ? serverKeys.Blind(appId, "email", email) : [];
            phoneIndex = Phones.TryNormalise(q, null, out var phone) ? serverKeys.Blind(appId, "phone", phone) : [];
            nameIndex = UserNames.TryNormalise(q, out _, out var folded, out _) ? serverKeys.Blind(appId, "username", folded) : [];
            // A start of an email goes through the keyed prefix index (EmailPrefixes), never through stored text.
            var prefixIndex = prefix == true ? EmailPrefixes.Key(serverKeys, appId, q) : null;
            query = prefixIndex is null
                ? query.Where(u => u.EmailIndex == emailIndex || u.PhoneIndex == phoneIndex || u.UsernameIndex == nameIndex)
                : query.Where(u => u.EmailIndex == emailIndex || u.PhoneIndex == phoneIndex || u.UsernameIndex == nameIndex
                    || db.UserEmailPrefixes.Any(p => p.AppId == appId && p.Hash == prefixIndex && p.UserId == u.Id));
        }
        var users = await query.OrderBy(u => u.CreatedAt).ThenBy(u => u.Id)
            .Skip(Math.Max(0, offset ?? 0)).Take(Math.Clamp(limit ?? 50, 1, 200)).ToListAsync(ct);
        var roles = await RoleAssignments.NamesAsync(db, appId, users.Select(u => u.Id).ToList(), ct);
        var views = new List<AdminUserView>(users.Count);
        var typed = prefix == true && !string.IsNullOrWhiteSpace(q) ? EmailPrefixes.Fold(q) : null;
        foreach (var user in users)
        {
            var view = await ViewAsync(user, keyring, roles.GetValueOrDefault(user.Id, []), clock, ct);
            // Past the index's longest prefix, the opened email decides (exact handle matches stay).
            if (typed is { Length: > EmailPrefixes.MaxLength } && !IsExact(user, emailIndex, phoneIndex, nameIndex)
                && !(view.Email is { } email && EmailPrefixes.Fold(email).StartsWith(typed, StringComparison.Ordinal)))
            {
                continue;
            }
            views.Add(view);
        }
        // P5: a search reads personal data. The trail names the one user a handle lookup found,
        // and otherwise only how many were shown (never the query: it is personal data itself).
        var found = views.Count == 1 && !string.IsNullOrWhiteSpace(q) ? views[0].Id : (Guid?)null;
        audit.Record(admin, appId, AuditActions.UserSearch, found,
            $"results={views.Count}" + (string.IsNullOrWhiteSpace(q) ? "" : prefix == true ? "; by=prefix" : "; by=handle") + (anonymous is { } a ? $"; anonymous={(a ? "true" : "false")}" : ""));
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(views);
    }

    private static bool IsExact(User user, byte[] email, byte[] phone, byte[] name) =>
        (user.EmailIndex is { } e && e.AsSpan().SequenceEqual(email)) || (user.PhoneIndex is { } p && p.AsSpan().SequenceEqual(phone))
        || (user.UsernameIndex is { } n && n.AsSpan().SequenceEqual(name));

    internal static async Task<Ok<AdminUserView>> GetAsync(
        AdminCaller admin, string appId, Guid userId, LatchkeyDbContext db, UserKeyring keyring, AuditLog audit, TimeProvider clock, CancellationToken ct)
    {
        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == userId && u.AppId == appId, ct)
            ?? throw Problems.NotFound("This app has no user with this id.");
        var view = await ViewAsync(user, keyring, db, clock, ct);
        audit.Record(admin, appId, AuditActions.UserRead, user.Id);
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(view);
    }

    internal static async Task<Ok<RevokedSessions>> RevokeSessionsAsync(
        AdminCaller admin, string appId, Guid userId, LatchkeyDbContext db, SessionService sessions, AuditLog audit, RoleGrants grants,
        CancellationToken ct)
    {
        if (!await db.Users.AnyAsync(u => u.Id == userId && u.AppId == appId, ct))
        {
            throw Problems.NotFound("This app has no user with this id.");
        }
        await grants.EnsureMayManageUserAsync(admin, appId, userId, ct);
        var revoked = await sessions.RevokeAllAsync(userId, RevokeReasons.Admin, ct);
        audit.Record(admin, appId, AuditActions.UserSessionsRevoke, userId, $"sessions={revoked}");
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(new RevokedSessions(revoked));
    }

    internal static async Task<AdminUserView> ViewAsync(User user, UserKeyring keyring, LatchkeyDbContext db, TimeProvider clock, CancellationToken ct) =>
        await ViewAsync(user, keyring, await RoleAssignments.NamesAsync(db, user.AppId, user.Id, ct), clock, ct);

    private static async Task<AdminUserView> ViewAsync(User user, UserKeyring keyring, IReadOnlyList<string> roles, TimeProvider clock, CancellationToken ct)
    {
        var key = await keyring.FindAsync(user.Id, ct);
        var handles = key is null ? null : UserProfiles.View(user, key);
        var now = clock.GetUtcNow().UtcDateTime;
        return new AdminUserView(user.Id, handles?.Handle ?? user.Id.ToString(), handles?.Email, user.EmailVerified, handles?.Phone, user.PhoneVerified,
            handles?.Username, user.Anonymous, user.Disabled, user.Role, PlanRules.Effective(user, now), user.CreatedAt, roles)
        {
            PlanExpiresAt = PlanRules.EffectiveExpiry(user, now),
            Metadata = handles?.Metadata ?? [],
            AppMetadata = handles?.AppMetadata ?? [],
        };
    }
}
