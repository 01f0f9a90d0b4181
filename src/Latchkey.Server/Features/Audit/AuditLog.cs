using Latchkey.Server.Features.Auth;
using Latchkey.Server.Infrastructure.Crypto;
using Latchkey.Server.Infrastructure.Http;
using Latchkey.Server.Infrastructure.Persistence;

namespace Latchkey.Server.Features.Audit;

/// <summary>
/// Writes audit records in the caller's unit of work (saved with the change they describe, and
/// chained by <see cref="AuditChain"/> as they are saved). The source is the client address as
/// <see cref="ClientAddress"/> resolves it (trusted proxies honoured), recorded only as its keyed
/// pseudonym (<see cref="ServerKeys.AddressPseudonym"/>), never in clear.
/// </summary>
public sealed class AuditLog(LatchkeyDbContext db, IHttpContextAccessor http, ServerKeys keys, TimeProvider clock)
{
    /// <summary>
    /// The admin acting in this request, once <see cref="AdminAccess"/> resolved them: services that
    /// take no <see cref="AdminCaller"/> (e.g. <c>AppService</c>, shared by the API and the console)
    /// record them through <see cref="RecordByActingAdmin"/>.
    /// </summary>
    public AdminCaller? ActingAdmin { get; set; }

    /// <summary>An admin's action on a user of <paramref name="appId"/>.</summary>
    public AuditRecord Record(AdminCaller admin, string appId, string action, Guid? targetUserId, string? detail = null) =>
        Add(appId, admin.Caller.UserId, admin.Caller.AppId, action, targetUserId, detail);

    /// <summary>An action of the request's <see cref="ActingAdmin"/>; the server's own (system) when no admin acts.</summary>
    public AuditRecord RecordByActingAdmin(string appId, string action, Guid? targetUserId, string? detail = null) =>
        ActingAdmin is { } admin ? Record(admin, appId, action, targetUserId, detail) : RecordSystem(appId, action, targetUserId, detail);

    /// <summary>A user's own security event (a sign-in, a refused PIN or factor, an enrolment): actor and target alike.</summary>
    public AuditRecord RecordSelf(string appId, Guid? userId, string action, string? detail = null) =>
        Add(appId, userId, appId, action, userId, detail);

    /// <summary>
    /// An attempt by someone not (yet) known, e.g. a failed sign-in: no actor user; the target is
    /// the account it aimed at, when that exists.
    /// </summary>
    public AuditRecord RecordAttempt(string appId, string action, Guid? targetUserId, string? detail = null) =>
        Add(appId, null, appId, action, targetUserId, detail);

    /// <summary>The server's own work on a user (a background job): no actor user, actor app <see cref="AuditRecord.SystemActor"/>.</summary>
    public AuditRecord RecordSystem(string appId, string action, Guid? targetUserId, string? detail = null) =>
        Add(appId, null, AuditRecord.SystemActor, action, targetUserId, detail);

    /// <summary>An action by an actor this request identified another way (an inviter: a user, an admin or an app server key).</summary>
    public AuditRecord RecordBy(string appId, Guid? actorUserId, string actorAppId, string action, Guid? targetUserId, string? detail = null) =>
        Add(appId, actorUserId, actorAppId, action, targetUserId, detail);

    /// <summary>The client address's pseudonym in <paramref name="appId"/>'s records, also for log lines that go with them.</summary>
    public string? SourceIn(string appId) => http.HttpContext is { } context ? keys.AddressPseudonym(appId, ClientAddress.Of(context)) : null;

    /// <summary>
    /// The way in, as the request's route below <c>/v1/apps/{appId}</c> (e.g. <c>/login</c>,
    /// <c>/signup</c>, <c>/mfa/verify</c>), for sign-in records; null outside a routed request.
    /// </summary>
    public string? Route
    {
        get
        {
            var pattern = (http.HttpContext?.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText;
            const string appScoped = "/v1/apps/{appId}";
            return pattern is not null && pattern.StartsWith(appScoped, StringComparison.Ordinal) ? pattern[appScoped.Length..] : pattern;
        }
    }

    private AuditRecord Add(string appId, Guid? actorUserId, string actorAppId, string action, Guid? targetUserId, string? detail) =>
        db.AuditRecords.Add(new AuditRecord
        {
            AppId = appId,
            ActorUserId = actorUserId,
            ActorAppId = actorAppId,
            Action = action,
            TargetUserId = targetUserId,
            Detail = detail is { Length: > 1000 } ? detail[..1000] : detail,
            Source = SourceIn(appId),
            At = clock.GetUtcNow().UtcDateTime,
        }).Entity;
}
