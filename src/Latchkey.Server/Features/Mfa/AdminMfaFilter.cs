using Latchkey.Server.Features.Auth;
using Latchkey.Server.Features.CustomRoles;
using Latchkey.Server.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.Mfa;

/// <summary>
/// On the admin API: an admin whose app's policy requires a second factor of admins (the console
/// app's, for super admins) and who has none is refused with 403 <c>mfa_enrollment_required</c>
/// until they enrol one. The check is on the user now, so enrolling lifts it at once.
/// </summary>
public sealed class AdminMfaFilter(LatchkeyDbContext db, MfaGate gate, RoleGrants roleGrants) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        if (Caller.From(context.HttpContext.User) is { } caller)
        {
            var ct = context.HttpContext.RequestAborted;
            var app = await db.Apps.AsNoTracking().FirstOrDefaultAsync(a => a.Id == caller.AppId, ct);
            // Note: a user whose custom roles grant admin permissions counts as an admin here.
            if (app is not null && (MfaRules.RequiresFactor(app.Settings, caller.Role)
                || (MfaRules.DependsOnCustomRoles(app.Settings, caller.Role) && await roleGrants.HoldsAdminPermissionsAsync(caller.AppId, caller.UserId, ct))))
            {
                // Note: the caller's own app, whatever app the route is about.
                var tenant = db.TenantAppId;
                db.TenantAppId = caller.AppId;
                try
                {
                    var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == caller.UserId, ct);
                    if (user is null || !MfaRules.HasFactor(await gate.EnrolledMethodsAsync(app, user, ct)))
                    {
                        throw MfaRules.EnrollmentRequired();
                    }
                }
                finally
                {
                    db.TenantAppId = tenant;
                }
            }
        }
        return await next(context);
    }
}
