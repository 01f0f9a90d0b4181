using System.Text.RegularExpressions;
using Latchkey.Server.Features.Auth;
using Latchkey.Server.Features.Users;
using Latchkey.Server.Infrastructure.Problems;

namespace Latchkey.Server.Features.CustomRoles;

/// <summary>
/// The rules a custom role must keep: its name, its permissions, and no privilege escalation
/// (a caller hands out only the <c>admin:…</c> permissions they hold themselves).
/// </summary>
public static partial class RoleRules
{
    public const int MaxPermissions = 100;
    public const int MaxRolesPerUser = 100;

    private static readonly string[] BuiltInRoles = [Roles.SuperAdmin, Roles.Admin, Roles.User];

    // Note: \z, not $: $ also matches before a final line feed.
    [GeneratedRegex(@"^[a-z][a-z0-9_.-]{0,63}\z", RegexOptions.CultureInvariant)]
    private static partial Regex RoleName();

    [GeneratedRegex(@"^[a-z][a-z0-9_.:*-]{0,127}\z", RegexOptions.CultureInvariant)]
    private static partial Regex Permission();

    public static void CheckName(string name)
    {
        if (BuiltInRoles.Contains(name))
        {
            throw Problems.InvalidField("name", $"'{name}' is a built-in role; give a custom role another name.");
        }
        if (!RoleName().IsMatch(name))
        {
            throw Problems.InvalidField("name", "A role name is 1 to 64 characters: a lower-case letter, then lower-case letters, digits, '_', '.' or '-'.");
        }
    }

    /// <summary>The permissions as the role will keep them: checked, duplicates dropped, in the given order.</summary>
    public static List<string> CheckPermissions(IReadOnlyList<string?>? permissions)
    {
        if (permissions is null)
        {
            throw Problems.InvalidField("permissions", "Give the role's permissions (an array, possibly empty).");
        }
        var distinct = new List<string>();
        foreach (var permission in permissions)
        {
            if (permission is null || !Permission().IsMatch(permission))
            {
                throw Problems.InvalidField("permissions",
                    "A permission is 1 to 128 characters: a lower-case letter, then lower-case letters, digits, '_', '.', ':', '*' or '-'.");
            }
            if (AdminPermissions.IsAdminPermission(permission) && !AdminPermissions.All.Contains(permission))
            {
                throw Problems.InvalidField("permissions",
                    $"'{permission}' is not an admin permission; the admin permissions are {string.Join(", ", AdminPermissions.All)}.");
            }
            if (!distinct.Contains(permission, StringComparer.Ordinal))
            {
                distinct.Add(permission);
            }
        }
        if (distinct.Count > MaxPermissions)
        {
            throw Problems.InvalidField("permissions", $"A role has at most {MaxPermissions} permissions.");
        }
        return distinct;
    }

    /// <summary>
    /// Refuses (403) when <paramref name="permissions"/> hold an admin permission the caller does not:
    /// giving it out, or taking it away from those who hold it, is not the caller's to do.
    /// </summary>
    public static void EnsureCallerHolds(AdminCaller admin, IEnumerable<string> permissions, string what)
    {
        var missing = permissions.Where(AdminPermissions.IsAdminPermission).Where(p => !admin.Can(p)).Distinct(StringComparer.Ordinal).ToList();
        if (missing.Count > 0)
        {
            throw Problems.Forbidden($"{what} carries admin permissions you do not hold yourself: {string.Join(", ", missing)}.");
        }
    }

    /// <summary>Whether the caller holds every admin permission (a super admin or an app admin): only they make app admins.</summary>
    public static bool HoldsAllAdminPermissions(AdminCaller admin) => AdminPermissions.All.All(admin.Can);

    /// <summary>An audit detail of non-personal facts, cut to the column's length.</summary>
    public static string AuditDetail(string text) => text.Length <= 1000 ? text : text[..999] + "…";
}
