using Latchkey.Server.Features.AppServerKeys;
using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.Auth;
using Latchkey.Server.Features.CustomRoles;
using Latchkey.Server.Features.Users;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Server.Infrastructure.Problems;

namespace Latchkey.Server.Features.Invitations;

/// <summary>
/// Who is inviting (MISSION A6): a signed-in user of the app (when the app allows it), the app's
/// admin or a super admin (always), or the app's own server with an app server key.
/// </summary>
public sealed record Inviter(string Label, Guid? UserId, bool IsAdmin, bool IsServer)
{
    /// <summary>The app the inviter signed in to: the console for a super admin, otherwise the invitation's app.</summary>
    public string? ActorAppId { get; init; }

    public bool ManagesAll => IsAdmin || IsServer;

    /// <summary>
    /// Whether an invitation's metadata may become the invitee's appMetadata: only when an admin
    /// (or a holder of admin:invitations) or the app's server sent it, never a fellow user.
    /// Decided from the stored <see cref="Invitation.InvitedBy"/> label, so it holds for invitations sent before.
    /// </summary>
    public static bool GrantsAppMetadata(string invitedBy) =>
        invitedBy.StartsWith("admin:", StringComparison.Ordinal) || invitedBy.StartsWith("server-key:", StringComparison.Ordinal);

    public static async Task<Inviter> FromAsync(HttpContext context, CurrentApp app, bool mustBeAllowedToInvite)
    {
        if (AppServerKeyAuthentication.HasBasic(context.Request))
        {
            var db = context.RequestServices.GetRequiredService<LatchkeyDbContext>();
            var clock = context.RequestServices.GetRequiredService<TimeProvider>();
            var key = await AppServerKeyAuthentication.AuthenticateAsync(context.Request, app.Id, db, clock, context.RequestAborted);
            return new Inviter($"server-key:{key.Id}", null, IsAdmin: false, IsServer: true);
        }
        var caller = Caller.From(context.User)
            ?? throw Problems.Unauthorized("Inviting needs a bearer access token of the app, or an app server key (HTTP Basic).");
        if (caller.IsSuperAdmin)
        {
            return new Inviter($"admin:{caller.UserId}", caller.UserId, IsAdmin: true, IsServer: false) { ActorAppId = caller.AppId };
        }
        if (caller.AppId != app.Id)
        {
            throw Problems.Unauthorized("This access token was issued for another app.");
        }
        if (caller.Role == Roles.Admin)
        {
            return new Inviter($"admin:{caller.UserId}", caller.UserId, IsAdmin: true, IsServer: false);
        }
        // Note: a custom role granting admin:invitations makes its holder the app's inviter, as an admin is.
        var roleGrants = context.RequestServices.GetRequiredService<RoleGrants>();
        if (await roleGrants.HoldsAsync(app.Id, caller.UserId, AdminPermissions.Invitations, context.RequestAborted))
        {
            return new Inviter($"admin:{caller.UserId}", caller.UserId, IsAdmin: true, IsServer: false);
        }
        if (mustBeAllowedToInvite && !app.Settings.InvitationsEnabled)
        {
            throw Problems.Forbidden("Users of this app may not invite others.");
        }
        return new Inviter($"user:{caller.UserId}", caller.UserId, IsAdmin: false, IsServer: false);
    }
}
