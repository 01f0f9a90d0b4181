using Latchkey.Server.Features.Auth;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Server.Infrastructure.Problems;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.CustomRoles;

/// <summary>PUT /v1/admin/apps/{appId}/users/{userId}/roles: replace a user's custom roles.</summary>
public static class UserRoleEndpoints
{
    public sealed record UserRolesRequest
    {
        public List<string?>? Roles { get; init; }
    }

    /// <summary>The user's custom roles after the change (no personal data: managing roles is not reading users).</summary>
    public sealed record UserRolesView(Guid UserId, IReadOnlyList<string> Roles);

    internal static async Task<Ok<UserRolesView>> ReplaceAsync(
        AdminCaller admin, string appId, Guid userId, UserRolesRequest request, LatchkeyDbContext db, RoleAssignments assignments,
        CancellationToken ct)
    {
        IReadOnlyList<string> roles;
        try
        {
            roles = await ReplaceOnceAsync(admin, appId, userId, request, db, assignments, ct);
        }
        catch (DbUpdateException)
        {
            // Two changes of the same user's roles at once (the assignment's key): the later one wins.
            db.ChangeTracker.Clear();
            roles = await ReplaceOnceAsync(admin, appId, userId, request, db, assignments, ct);
        }
        return TypedResults.Ok(new UserRolesView(userId, roles));
    }

    private static async Task<IReadOnlyList<string>> ReplaceOnceAsync(
        AdminCaller admin, string appId, Guid userId, UserRolesRequest request, LatchkeyDbContext db, RoleAssignments assignments,
        CancellationToken ct)
    {
        if (!await db.Users.IgnoreQueryFilters().AnyAsync(u => u.Id == userId && u.AppId == appId, ct))
        {
            throw Problems.NotFound("This app has no user with this id.");
        }
        var roles = await assignments.ReplaceAsync(admin, appId, userId, request.Roles, ct);
        await db.SaveChangesAsync(ct);
        return roles;
    }
}
