using Latchkey.Server.Features.CustomRoles;
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Nodes;
using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.Audit;
using Latchkey.Server.Features.Auth;
using Latchkey.Server.Features.Passwords;
using Latchkey.Server.Features.Pin;
using Latchkey.Server.Features.Plans;
using Latchkey.Server.Features.Sessions;
using Latchkey.Server.Features.SignUp;
using Latchkey.Server.Infrastructure.Http;
using Latchkey.Server.Infrastructure.KeyStore;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Server.Infrastructure.Problems;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.Users;

/// <summary>
/// Admins create, change and erase users (MISSION B6, U3). A password or email reset by an admin
/// (after identifying the person another way) ends the user's sessions and is audited.
/// </summary>
public static class AdminUserChanges
{
    public static RouteGroupBuilder MapAdminUserChangeEndpoints(this RouteGroupBuilder admin)
    {
        admin.MapPost("/apps/{appId}/users", CreateAsync).RequireAdminPermission(AdminPermissions.UsersWrite).WithSummary("Create a user (any access mode)");
        admin.MapPatch("/apps/{appId}/users/{userId:guid}", UpdateAsync).RequireAdminPermission(AdminPermissions.UsersWrite)
            .WithSummary("Change a user's handles, password, role, plan, disabled flag or PIN; a new password or email ends their sessions");
        admin.MapDelete("/apps/{appId}/users/{userId:guid}", DeleteAsync).RequireAdminPermission(AdminPermissions.UsersWrite).WithSummary("Erase a user: their data key is destroyed");
        return admin;
    }

    public sealed record CreateUserRequest
    {
        [MaxLength(EmailAddress.MaxLength)] public string? Email { get; init; }
        [MaxLength(Phones.MaxLength)] public string? Phone { get; init; }
        [MaxLength(200)] public string? Username { get; init; }
        [MaxLength(4096)] public string? Password { get; init; }
        [MaxLength(32)] public string? Role { get; init; }
        public bool? EmailVerified { get; init; }
        public JsonObject? Metadata { get; init; }
        /// <summary>What the app grants the user (read-only for them).</summary>
        public JsonObject? AppMetadata { get; init; }
    }

    public sealed record UpdateUserRequest
    {
        [MaxLength(EmailAddress.MaxLength)] public string? Email { get; init; }
        [MaxLength(Phones.MaxLength)] public string? Phone { get; init; }
        [MaxLength(200)] public string? Username { get; init; }
        [MaxLength(4096)] public string? Password { get; init; }
        [MaxLength(32)] public string? Role { get; init; }
        /// <summary>U4: free, trial or paid (needs admin:roles too; see <see cref="PlanChanges"/>).</summary>
        [MaxLength(32)] public string? Plan { get; init; }
        /// <summary>U4: when the plan ends (ISO 8601); null: no end (paid only). Left out: see <see cref="PlanChanges"/>.</summary>
        public DateTimeOffset? PlanExpiresAt
        {
            get => _planExpiresAt;
            init
            {
                _planExpiresAt = value;
                _planExpiresAtGiven = true;
            }
        }
        private readonly DateTimeOffset? _planExpiresAt;
        private readonly bool _planExpiresAtGiven;
        /// <summary>Whether the body named planExpiresAt (null included).</summary>
        internal bool PlanExpiresAtGiven => _planExpiresAtGiven;
        public bool? Disabled { get; init; }
        /// <summary>S1: a PIN pre-filled for the user (no current PIN needed; the user can replace it).</summary>
        [MaxLength(64)] public string? Pin { get; init; }
        /// <summary>U1: replaces the user's custom roles (needs admin:roles too).</summary>
        public List<string?>? Roles { get; init; }
        /// <summary>Replaces the user's own metadata ({} empties it).</summary>
        public JsonObject? Metadata { get; init; }
        /// <summary>Replaces what the app grants the user ({} empties it); the user cannot change it.</summary>
        public JsonObject? AppMetadata { get; init; }
    }

    internal static async Task<Created<AdminUserEndpoints.AdminUserView>> CreateAsync(
        AdminCaller admin, string appId, CreateUserRequest request, LatchkeyDbContext db, UserAccounts accounts,
        PasswordHasher hasher, PasswordPolicy policy, AuditLog audit, UserKeyring keyring, TimeProvider clock, CancellationToken ct)
    {
        var app = await db.Apps.AsNoTracking().FirstOrDefaultAsync(a => a.Id == appId, ct) ?? throw Problems.AppNotFound(appId);
        var email = request.Email is null ? null : HandleInput.Parse(request.Email, null, null, required: false)!.Value.Value;
        var phone = request.Phone is null ? null : HandleInput.Parse(null, request.Phone, null, required: false)!.Value.Value;
        var name = NewAccountInput.CheckUsername(app, request.Username);
        if (email is null && phone is null && name.Username is null)
        {
            throw Problems.InvalidField("email", "A user needs an email, a phone number or a user name.");
        }
        var role = CheckRole(admin, app, request.Role ?? Roles.User);
        if (request.Password is { Length: > 0 } password)
        {
            policy.Check(password, email);
        }
        JsonLimits.EnsureSmallObject(request.Metadata, "metadata");
        JsonLimits.EnsureSmallObject(request.AppMetadata, "appMetadata");
        await accounts.EnsureAvailableAsync(app, email, phone, name.FoldedUsername, null, ct);
        var created = await accounts.CreateAsync(app, new NewUser
        {
            Email = email,
            EmailVerified = request.EmailVerified ?? false,
            Phone = phone,
            Username = name.Username,
            PasswordHash = request.Password is { Length: > 0 } p ? await hasher.HashAsync(p, ct) : null,
            Role = role,
            Metadata = request.Metadata,
            AppMetadata = request.AppMetadata,
        }, ct);
        audit.Record(admin, appId, "user.create", created.User.Id);
        await db.SaveChangesAsync(ct);
        var view = await AdminUserEndpoints.ViewAsync(created.User, keyring, db, clock, ct);
        return TypedResults.Created($"/v1/admin/apps/{appId}/users/{created.User.Id}", view);
    }

    internal static async Task<Ok<AdminUserEndpoints.AdminUserView>> UpdateAsync(
        AdminCaller admin, string appId, Guid userId, UpdateUserRequest request, LatchkeyDbContext db, UserAccounts accounts,
        UserKeyring keyring, PasswordHasher hasher, PasswordPolicy policy, SessionService sessions, AuditLog audit, TimeProvider clock,
        RoleGrants roleGrants, RoleAssignments roleAssignments, CancellationToken ct)
    {
        var app = await db.Apps.AsNoTracking().FirstOrDefaultAsync(a => a.Id == appId, ct) ?? throw Problems.AppNotFound(appId);
        var user = await db.Users.FirstOrDefaultAsync(u => u.Id == userId && u.AppId == appId, ct)
            ?? throw Problems.NotFound("This app has no user with this id.");
        await roleGrants.EnsureMayManageUserAsync(admin, appId, userId, ct);
        var key = await keyring.GetAsync(user.Id, ct);
        var changed = new List<string>();
        var endSessions = false;

        var email = request.Email is null ? null : HandleInput.Parse(request.Email, null, null, required: false)!.Value.Value;
        var phone = request.Phone is null ? null : HandleInput.Parse(null, request.Phone, null, required: false)!.Value.Value;
        var name = NewAccountInput.CheckUsername(app, request.Username);
        await accounts.EnsureAvailableAsync(app, email, phone, name.FoldedUsername, user.Id, ct);
        if (email is not null)
        {
            // The admin identified the person another way: the new email is taken as theirs.
            await accounts.ChangeEmailAsync(user, key, email, verified: true, ct);
            user.Anonymous = false;
            changed.Add("email");
            endSessions = true;
        }
        if (phone is not null)
        {
            accounts.SetPhone(user, key, phone, verified: true);
            user.Anonymous = false;
            changed.Add("phone");
        }
        if (name.Username is not null)
        {
            accounts.SetUsername(user, key, name.Username);
            changed.Add("username");
        }
        if (request.Password is { Length: > 0 } password)
        {
            policy.Check(password, email ?? key.Decrypt(UserFields.Email, user.EmailSealed));
            user.PasswordHash = await hasher.HashAsync(password, ct);
            changed.Add("password");
            endSessions = true;
        }
        if (request.Role is not null)
        {
            user.Role = CheckRole(admin, app, request.Role);
            changed.Add("role");
        }
        if (request.Plan is not null || request.PlanExpiresAtGiven)
        {
            changed.AddRange(PlanChanges.Apply(admin, db, app, user, request.Plan, request.PlanExpiresAtGiven, request.PlanExpiresAt, clock.GetUtcNow().UtcDateTime));
        }
        if (request.Disabled is { } disabled)
        {
            user.Disabled = disabled;
            changed.Add("disabled");
            endSessions |= disabled;
        }
        if (request.Pin is not null)
        {
            PinRules.Check(request.Pin);
            user.PinHash = await hasher.HashAsync(request.Pin, ct);
            changed.Add("pin");
        }
        if (request.Roles is not null)
        {
            await roleAssignments.ReplaceAsync(admin, appId, user.Id, request.Roles, ct);
            changed.Add("roles");
        }
        if (request.Metadata is not null || request.AppMetadata is not null)
        {
            JsonLimits.EnsureSmallObject(request.Metadata, "metadata");
            JsonLimits.EnsureSmallObject(request.AppMetadata, "appMetadata");
            var profile = UserProfiles.Read(user, key);
            UserProfiles.Write(user, key, profile with
            {
                Metadata = (JsonObject?)request.Metadata?.DeepClone() ?? profile.Metadata,
                AppMetadata = (JsonObject?)request.AppMetadata?.DeepClone() ?? profile.AppMetadata,
            });
            changed.AddRange(request.Metadata is null ? [] : ["metadata"]);
            changed.AddRange(request.AppMetadata is null ? [] : ["appMetadata"]);
        }
        if (changed.Count == 0)
        {
            throw Problems.InvalidRequest("Nothing to change: give email, phone, username, password, role, plan, planExpiresAt, disabled, pin, roles, metadata or appMetadata.");
        }
        user.UpdatedAt = clock.GetUtcNow().UtcDateTime;
        audit.Record(admin, appId, "user.update", user.Id, string.Join(",", changed));
        await db.SaveChangesAsync(ct);
        if (endSessions)
        {
            await sessions.RevokeAllAsync(user.Id, RevokeReasons.Admin, ct);
        }
        return TypedResults.Ok(await AdminUserEndpoints.ViewAsync(user, keyring, db, clock, ct));
    }

    internal static async Task<NoContent> DeleteAsync(
        AdminCaller admin, string appId, Guid userId, LatchkeyDbContext db, UserKeyring keyring, AuditLog audit, RoleGrants roleGrants,
        CancellationToken ct)
    {
        if (admin.Caller.UserId == userId)
        {
            throw Problems.Forbidden("Admins cannot erase themselves.");
        }
        await roleGrants.EnsureMayManageUserAsync(admin, appId, userId, ct);
        var deleted = await db.Users.Where(u => u.Id == userId && u.AppId == appId).ExecuteDeleteAsync(ct);
        if (deleted == 0)
        {
            throw Problems.NotFound("This app has no user with this id.");
        }
        // Note: crypto-shredding: without the data key, backups taken before cannot be read either.
        await keyring.DestroyAsync(userId, ct);
        audit.Record(admin, appId, "user.erase", userId);
        await db.SaveChangesAsync(ct);
        return TypedResults.NoContent();
    }

    private static string CheckRole(AdminCaller admin, App app, string role)
    {
        if (role == Roles.SuperAdmin)
        {
            if (app.Id != App.ConsoleId || !admin.IsSuperAdmin)
            {
                throw Problems.InvalidField("role", "Only super admins make super admins, and only in the console app.");
            }
            return role;
        }
        if (role == Roles.Admin && !RoleRules.HoldsAllAdminPermissions(admin))
        {
            // Note: an app admin holds every admin permission: a custom role's holder making one would escalate.
            throw Problems.Forbidden("Only app admins and super admins make app admins.");
        }
        return role is Roles.Admin or Roles.User ? role : throw Problems.InvalidField("role", "role must be user or admin.");
    }
}
