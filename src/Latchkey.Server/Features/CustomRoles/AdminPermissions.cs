namespace Latchkey.Server.Features.CustomRoles;

/// <summary>
/// The permissions the admin API and console check, one per area. An app admin holds all of
/// them for their app; a custom role may grant some (a support desk that reads and resets users
/// but cannot change settings). Creating, listing and deleting apps is the super admin's alone.
/// </summary>
public static class AdminPermissions
{
    public const string Prefix = "admin:";
    /// <summary>Read the app and its settings, signing keys and server keys (no secrets).</summary>
    public const string AppsRead = "admin:apps.read";
    /// <summary>Change settings, rotate signing keys, create and revoke server keys, edit message templates.</summary>
    public const string AppsWrite = "admin:apps.write";
    /// <summary>Search and read users' personal data (every read is audited).</summary>
    public const string UsersRead = "admin:users.read";
    /// <summary>Create, change, disable, erase users; reset passwords and emails; end sessions.</summary>
    public const string UsersWrite = "admin:users.write";
    /// <summary>Invite people; list and revoke invitations.</summary>
    public const string Invitations = "admin:invitations";
    /// <summary>Define custom roles and assign roles and plans.</summary>
    public const string RolesManage = "admin:roles";
    /// <summary>Read the audit trail and verify its chain.</summary>
    public const string AuditRead = "admin:audit.read";
    /// <summary>Read the dev outbox (messages with their codes and links).</summary>
    public const string OutboxRead = "admin:outbox.read";

    public static readonly string[] All = [AppsRead, AppsWrite, UsersRead, UsersWrite, Invitations, RolesManage, AuditRead, OutboxRead];

    /// <summary>Whether a role's permission is one of the admin API's (as opposed to the app's own, e.g. <c>orders:read</c>).</summary>
    public static bool IsAdminPermission(string permission) => permission.StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>Platform work: create, list and delete apps. Only a console super admin; no role grants it.</summary>
    public const string Platform = "platform";

    /// <summary>Any admin at all (e.g. listing the apps one manages); checked against the resolved admin, never granted.</summary>
    public const string AnyAdmin = "any-admin";
}
