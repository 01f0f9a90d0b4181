using Latchkey.Server.Features.Auth;
using Latchkey.Server.Infrastructure.Http;
using Latchkey.Server.Infrastructure.Persistence;

namespace Latchkey.Server.Features.Audit;

/// <summary>
/// Writes audit records in the caller's unit of work (saved with the change they describe). The
/// source is the client address as <see cref="ClientAddress"/> resolves it (trusted proxies honoured).
/// </summary>
public sealed class AuditLog(LatchkeyDbContext db, IHttpContextAccessor http, TimeProvider clock)
{
    /// <summary>An admin's action on a user of <paramref name="appId"/>.</summary>
    public AuditRecord Record(AdminCaller admin, string appId, string action, Guid? targetUserId, string? detail = null) =>
        Add(appId, admin.Caller.UserId, admin.Caller.AppId, action, targetUserId, detail);

    /// <summary>A user's own security event (a refused PIN or factor, an enrolment): actor and target alike.</summary>
    public AuditRecord RecordSelf(string appId, Guid? userId, string action, string? detail = null) =>
        Add(appId, userId, appId, action, userId, detail);

    /// <summary>The server's own work on a user (a background job): no actor user, actor app <see cref="AuditRecord.SystemActor"/>.</summary>
    public AuditRecord RecordSystem(string appId, string action, Guid? targetUserId, string? detail = null) =>
        Add(appId, null, AuditRecord.SystemActor, action, targetUserId, detail);

    /// <summary>The client address the records name, for log lines that go with them.</summary>
    public string? Source => http.HttpContext is { } context ? ClientAddress.Of(context).ToString() : null;

    private AuditRecord Add(string appId, Guid? actorUserId, string actorAppId, string action, Guid? targetUserId, string? detail) =>
        db.AuditRecords.Add(new AuditRecord
        {
            AppId = appId,
            ActorUserId = actorUserId,
            ActorAppId = actorAppId,
            Action = action,
            TargetUserId = targetUserId,
            Detail = detail,
            Source = Source,
            At = clock.GetUtcNow().UtcDateTime,
        }).Entity;
}
