using Latchkey.Server.Features.Audit;

namespace Latchkey.Server.Features.AdminConsole;

/// <summary>
/// An audit record as a sentence: who did what to whom ("ann@example.com ended a session of
/// bob@example.com"). The handles come from <see cref="AuditNames"/>; a person it could not (or
/// may not) name is described by their part ("someone", "the server", "a console admin").
/// </summary>
public static class AuditWords
{
    private static readonly Dictionary<string, string> Verbs = new(StringComparer.Ordinal)
    {
        [AuditActions.SignIn] = "signed in",
        [AuditActions.SignInFailed] = "failed to sign in as",
        [AuditActions.SignOut] = "signed out",
        [AuditActions.UserSearch] = "searched the users",
        [AuditActions.UserRead] = "read the data of",
        [AuditActions.UserSessionsRevoke] = "ended every session of",
        ["user.session.revoke"] = "ended a session of",
        ["user.sessions.read"] = "read the sessions of",
        ["user.create"] = "created the user",
        ["user.update"] = "changed the user",
        ["user.erase"] = "erased the user",
        ["user.roles"] = "changed the custom roles of",
        [AuditActions.AppCreate] = "created an app",
        [AuditActions.AppUpdate] = "changed the app's settings",
        [AuditActions.AppDelete] = "deleted an app",
        [AuditActions.ServerKeyCreate] = "created a server key",
        [AuditActions.ServerKeyRevoke] = "revoked a server key",
        ["keys.rotate"] = "rotated the signing key",
        ["keys.revoke"] = "revoked a signing key",
        [AuditActions.TemplateSave] = "saved a message template",
        [AuditActions.TemplateDelete] = "deleted a message template",
        [AuditActions.InvitationCreate] = "invited",
        [AuditActions.InvitationRevoke] = "revoked an invitation of",
        [AuditActions.OutboxRead] = "read the outbox",
        ["role.save"] = "saved a custom role",
        ["role.delete"] = "deleted a custom role",
        ["security.pin_failed"] = "entered a wrong PIN",
        ["security.pin_locked"] = "used up the PIN tries",
        ["security.mfa_failed"] = "failed the second factor",
        ["security.mfa_enrolled"] = "enrolled a second factor",
        ["security.mfa_removed"] = "removed a second factor",
        ["security.recovery_codes_issued"] = "got new recovery codes",
        ["security.passkey_added"] = "added a passkey",
        ["security.passkey_removed"] = "removed a passkey",
        ["security.passkey_refused"] = "was refused a passkey",
        ["plan.expired"] = "ended the trial of",
        ["plan.lapsed"] = "ended the paid plan of",
        ["plan.reminder"] = "sent a renewal reminder to",
        ["plan.reminder.skipped"] = "skipped a renewal reminder to",
        [AuditNames.ReadAction] = "read the names in the audit trail",
    };

    private static readonly string[] TakesObject = [" of", " as", " user", " to", "invited"];

    /// <summary>
    /// The sentence, in parts the page marks up: the actor, the verb, the target (or null), and
    /// whether the target follows the verb ("ended a session of X") or is named after a comma.
    /// </summary>
    public static (string Actor, string Verb, string? Target, bool Direct) Sentence(AuditRecord record, IReadOnlyDictionary<Guid, string> names)
    {
        var actor = record.ActorUserId is { } actorId
            ? names.GetValueOrDefault(actorId) ?? Someone(record, actorId)
            : record.ActorAppId == AuditRecord.SystemActor ? "The server" : record.Action == AuditActions.SignInFailed ? "Someone" : "An app server key";
        var verb = Verbs.GetValueOrDefault(record.Action) ?? record.Action;
        string? target = null;
        // A user's own event names them once: "ann@example.com signed in".
        if (record.TargetUserId is { } targetId && targetId != record.ActorUserId)
        {
            target = names.GetValueOrDefault(targetId) ?? "user " + ConsoleView.ShortId(targetId);
        }
        else if (record.TargetUserId is null && verb.EndsWith(" of", StringComparison.Ordinal))
        {
            target = "an unknown account";
        }
        return (actor, verb, target, TakesObject.Any(w => verb.EndsWith(w, StringComparison.Ordinal)));
    }

    private static string Someone(AuditRecord record, Guid actorId) => record.ActorAppId == Apps.App.ConsoleId && record.AppId != Apps.App.ConsoleId
        ? "A console admin"
        : "User " + ConsoleView.ShortId(actorId);
}
