using System.Security.Claims;
using Latchkey.Server.Features.Auth;
using Latchkey.Server.Features.IpRanges;
using Latchkey.Server.Infrastructure.Http;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Server.Infrastructure.Problems;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.AdminConsole;

/// <summary>
/// Decides whether a console cookie still stands, from the database as it is now: the session is
/// live (not revoked, its refresh family not expired), the user is not disabled, the client is
/// inside the sign-in app's IP ranges, and <see cref="AdminAccess"/> accepts the caller with the
/// role they have now.
/// </summary>
public sealed class ConsoleAccess(LatchkeyDbContext db, AdminAccess access, TimeProvider clock)
{
    internal const string AdminKey = "latchkey.console.admin";

    public sealed record Result(ClaimsPrincipal? Principal, AdminCaller? Admin, string? EndReason)
    {
        public static Result Refused(string reason) => new(null, null, reason);
    }

    public async Task<Result> CheckAsync(ClaimsPrincipal principal, HttpContext http, CancellationToken ct)
    {
        if (!Guid.TryParse(principal.FindFirstValue(CallerClaims.UserId), out var userId)
            || !Guid.TryParse(principal.FindFirstValue(CallerClaims.SessionId), out var sessionId)
            || principal.FindFirstValue(CallerClaims.AppId) is not { } appId)
        {
            return Result.Refused(ConsoleAuthentication.EndReasons.Ended);
        }
        var now = clock.GetUtcNow().UtcDateTime;
        var live = await (
                from s in db.Sessions.AsNoTracking().IgnoreQueryFilters()
                join u in db.Users.AsNoTracking().IgnoreQueryFilters() on s.UserId equals u.Id
                where s.Id == sessionId && s.UserId == userId && s.AppId == appId
                select new
                {
                    s.RevokedAt,
                    u.Disabled,
                    u.Role,
                    u.Plan,
                    s.ExpiresAt,
                })
            .FirstOrDefaultAsync(ct);
        if (live is null || live.RevokedAt is not null || live.ExpiresAt <= now)
        {
            return Result.Refused(ConsoleAuthentication.EndReasons.Ended);
        }
        if (live.Disabled)
        {
            return Result.Refused(ConsoleAuthentication.EndReasons.Disabled);
        }
        var app = await db.Apps.AsNoTracking().FirstOrDefaultAsync(a => a.Id == appId, ct);
        if (app is null)
        {
            return Result.Refused(ConsoleAuthentication.EndReasons.Ended);
        }
        if (!IpRangeList.For(app.Settings.IpRanges).Allows(ClientAddress.Of(http)))
        {
            return Result.Refused(ConsoleAuthentication.EndReasons.Network);
        }
        AdminCaller admin;
        try
        {
            admin = await access.ResolveAsync(new Caller(userId, sessionId, appId, live.Role), ct);
        }
        catch (ProblemException)
        {
            return Result.Refused(ConsoleAuthentication.EndReasons.Access);
        }
        return new Result(ConsoleAuthentication.Principal(userId, sessionId, appId, live.Role, live.Plan), admin, null);
    }

    /// <summary>The admin of this console request, as the cookie check resolved them.</summary>
    public static AdminCaller Current(HttpContext http) =>
        http.Items[AdminKey] as AdminCaller ?? throw Problems.Unauthorized("Sign in to the console first.");
}
