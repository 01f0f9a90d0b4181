namespace Latchkey.Server.Features.Audit;

/// <summary>
/// The actions the audit trail names (more are written where features record their own, e.g.
/// <c>mfa.*</c>, <c>pin.*</c>, <c>passkey.*</c>, <c>role.*</c>, <c>plan.*</c>).
/// </summary>
public static class AuditActions
{
    public const string SignIn = "signin";
    public const string SignInFailed = "signin.failed";
    public const string SignOut = "signout";

    public const string UserSearch = "user.search";
    public const string UserRead = "user.read";
    public const string UserSessionsRevoke = "user.sessions.revoke";

    public const string AppCreate = "app.create";
    public const string AppUpdate = "app.update";
    public const string AppDelete = "app.delete";

    public const string ServerKeyCreate = "serverkey.create";
    public const string ServerKeyRevoke = "serverkey.revoke";
    public const string ClientCreate = "client.create";
    public const string ClientUpdate = "client.update";
    public const string ClientDelete = "client.delete";
    public const string ClientSecretRotate = "client.secret.rotate";
    public const string TemplateSave = "template.save";
    public const string TemplateDelete = "template.delete";

    public const string InvitationCreate = "invitation.create";
    public const string InvitationRevoke = "invitation.revoke";
    public const string OutboxRead = "outbox.read";
}
