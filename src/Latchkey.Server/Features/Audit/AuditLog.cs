using Latchkey.Server.Features.Auth;
using Latchkey.Server.Infrastructure.Persistence;

namespace Latchkey.Server.Features.Audit;

/// <summary>Writes audit records in the caller's unit of work (saved with the change they describe).</summary>
public sealed class AuditLog(LatchkeyDbContext db, IHttpContextAccessor http, TimeProvider clock)
{
    public void Record(AdminCaller admin, string appId, string action, Guid? targetUserId, string? detail = null) =>
        db.AuditRecords.Add(new AuditRecord
        {
            AppId = appId,
            ActorUserId = admin.Caller.UserId,
            ActorAppId = admin.Caller.AppId,
            Action = action,
            TargetUserId = targetUserId,
            Detail = detail,
            Source = http.HttpContext?.Connection.RemoteIpAddress?.ToString(),
            At = clock.GetUtcNow().UtcDateTime,
        });
}
