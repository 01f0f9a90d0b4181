using Latchkey.Server.Features.AppServerKeys;
using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.Audit;
using Latchkey.Server.Features.Auth;
using Latchkey.Server.Features.CustomRoles;
using Latchkey.Server.Features.Delivery;
using Latchkey.Server.Features.Invitations;
using Latchkey.Server.Features.OidcClients;
using Latchkey.Server.Features.Passwords;
using Latchkey.Server.Features.Sessions;
using Latchkey.Server.Features.Tokens;
using Latchkey.Server.Features.Users;
using Latchkey.Server.Infrastructure.Crypto;
using Latchkey.Server.Infrastructure.KeyStore;
using Latchkey.Server.Infrastructure.Persistence;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Features.AdminConsole;

/// <summary>
/// The admin API's own handlers, called in-process by the console pages with the services they
/// bind from the request, so that a page changes nothing the API would refuse and records what
/// the API records. One place knows the handlers' parameter lists.
/// </summary>
public sealed class AdminApi(IServiceProvider services)
{
    private LatchkeyDbContext Db => S<LatchkeyDbContext>();

    // Apps
    public async Task<List<AdminAppEndpoints.AppView>> ListAppsAsync(AdminCaller admin, CancellationToken ct) =>
        (await AdminAppEndpoints.ListAsync(admin, Db, ct)).Value!;

    public async Task<AdminAppEndpoints.AppView> GetAppAsync(AdminCaller admin, string appId, CancellationToken ct) =>
        (await AdminAppEndpoints.GetAsync(admin, appId, Db, ct)).Value!;

    public async Task<AdminAppEndpoints.AppView> CreateAppAsync(AdminCaller admin, AdminAppEndpoints.CreateAppRequest request, CancellationToken ct) =>
        (await AdminAppEndpoints.CreateAsync(admin, request, S<AppService>(), ct)).Value!;

    public Task UpdateAppAsync(AdminCaller admin, string appId, AdminAppEndpoints.UpdateAppRequest request, CancellationToken ct) =>
        AdminAppEndpoints.UpdateAsync(admin, appId, request, S<AppService>(), ct);

    public Task DeleteAppAsync(AdminCaller admin, string appId, CancellationToken ct) =>
        AdminAppEndpoints.DeleteAsync(admin, appId, S<AppService>(), ct);

    // Keys
    public async Task<List<AppServerKeyEndpoints.KeyView>> ServerKeysAsync(AdminCaller admin, string appId, CancellationToken ct) =>
        (await AppServerKeyEndpoints.ListAsync(admin, appId, Db, ct)).Value!;

    public async Task<AppServerKeyEndpoints.CreatedKey> CreateServerKeyAsync(AdminCaller admin, string appId, AppServerKeyEndpoints.CreateRequest request, CancellationToken ct) =>
        (await AppServerKeyEndpoints.CreateAsync(admin, appId, request, Db, S<AuditLog>(), S<TimeProvider>(), ct)).Value!;

    public Task RevokeServerKeyAsync(AdminCaller admin, string appId, string keyId, CancellationToken ct) =>
        AppServerKeyEndpoints.RevokeAsync(admin, appId, keyId, Db, S<AuditLog>(), S<TimeProvider>(), ct);

    public async Task<List<SigningKeyEndpoints.KeyView>> SigningKeysAsync(AdminCaller admin, string appId, CancellationToken ct) =>
        (await SigningKeyEndpoints.ListAsync(admin, appId, Db, S<SigningKeys>(), S<TimeProvider>(), ct)).Value!;

    public Task RotateSigningKeyAsync(AdminCaller admin, string appId, CancellationToken ct) =>
        SigningKeyEndpoints.RotateAsync(admin, appId, immediate: false, request: null, Db, S<SigningKeys>(), S<KeyRotation>(), S<AuditLog>(), S<TimeProvider>(), ct);

    // Users
    public async Task<List<AdminUserEndpoints.AdminUserView>> SearchUsersAsync(
        AdminCaller admin, string appId, string? q, bool? anonymous, int limit, int offset, CancellationToken ct, bool prefix = false) =>
        (await AdminUserEndpoints.SearchAsync(admin, appId, q, anonymous, limit, offset, prefix, Db, S<UserKeyring>(), S<ServerKeys>(), S<AuditLog>(), S<TimeProvider>(), ct)).Value!;

    public async Task<AdminUserEndpoints.AdminUserView> GetUserAsync(AdminCaller admin, string appId, Guid userId, CancellationToken ct) =>
        (await AdminUserEndpoints.GetAsync(admin, appId, userId, Db, S<UserKeyring>(), S<AuditLog>(), S<TimeProvider>(), ct)).Value!;

    public async Task<AdminUserEndpoints.AdminUserView> CreateUserAsync(AdminCaller admin, string appId, AdminUserChanges.CreateUserRequest request, CancellationToken ct) =>
        (await AdminUserChanges.CreateAsync(admin, appId, request, Db, S<UserAccounts>(), S<PasswordHasher>(), S<PasswordPolicy>(), S<AuditLog>(),
            S<UserKeyring>(), S<TimeProvider>(), ct)).Value!;

    public async Task<AdminUserEndpoints.AdminUserView> UpdateUserAsync(AdminCaller admin, string appId, Guid userId, AdminUserChanges.UpdateUserRequest request, CancellationToken ct) =>
        (await AdminUserChanges.UpdateAsync(admin, appId, userId, request, Db, S<UserAccounts>(), S<UserKeyring>(), S<PasswordHasher>(), S<PasswordPolicy>(),
            S<SessionService>(), S<AuditLog>(), S<TimeProvider>(), S<RoleGrants>(), S<RoleAssignments>(), ct)).Value!;

    public Task DeleteUserAsync(AdminCaller admin, string appId, Guid userId, CancellationToken ct) =>
        AdminUserChanges.DeleteAsync(admin, appId, userId, Db, S<UserKeyring>(), S<AuditLog>(), S<RoleGrants>(), ct);

    // Sessions
    public async Task<List<AdminSessionEndpoints.AdminSessionView>> SessionsAsync(AdminCaller admin, string appId, Guid userId, CancellationToken ct) =>
        (await AdminSessionEndpoints.ListAsync(admin, appId, userId, Db, S<UserKeyring>(), S<AuditLog>(), S<TimeProvider>(), ct)).Value!;

    public Task RevokeSessionAsync(AdminCaller admin, string appId, Guid userId, Guid sessionId, CancellationToken ct) =>
        AdminSessionEndpoints.RevokeAsync(admin, appId, userId, sessionId, Db, S<SessionService>(), S<AuditLog>(), S<RoleGrants>(), ct);

    public async Task<int> RevokeAllSessionsAsync(AdminCaller admin, string appId, Guid userId, CancellationToken ct) =>
        (await AdminUserEndpoints.RevokeSessionsAsync(admin, appId, userId, Db, S<SessionService>(), S<AuditLog>(), S<RoleGrants>(), ct)).Value!.Revoked;

    // Invitations: the app-scoped endpoints, with the console's signed-in admin as the inviter.
    public async Task<InvitationEndpoints.InvitationCreated> InviteAsync(CurrentApp app, InvitationEndpoints.InviteRequest request, HttpContext http, CancellationToken ct) =>
        (await InvitationEndpoints.InviteAsync(app, request, http, S<InvitationService>(), ct)).Value!;

    public async Task<List<InvitationEndpoints.InvitationView>> InvitationsAsync(CurrentApp app, HttpContext http, CancellationToken ct) =>
        (await InvitationEndpoints.ListAsync(app, http, Db, ct)).Value!;

    public Task RevokeInvitationAsync(CurrentApp app, Guid invitationId, HttpContext http, CancellationToken ct) =>
        InvitationEndpoints.RevokeAsync(app, invitationId, http, Db, S<AuditLog>(), S<TimeProvider>(), ct);

    // Custom roles
    public async Task<List<RoleEndpoints.RoleView>> RolesAsync(AdminCaller admin, string appId, CancellationToken ct) =>
        (await RoleEndpoints.ListAsync(admin, appId, Db, ct)).Value!;

    public Task SaveRoleAsync(AdminCaller admin, string appId, string name, RoleEndpoints.RoleRequest request, CancellationToken ct) =>
        RoleEndpoints.PutAsync(admin, appId, name, request, Db, S<AuditLog>(), S<TimeProvider>(), ct);

    public Task DeleteRoleAsync(AdminCaller admin, string appId, string name, CancellationToken ct) =>
        RoleEndpoints.DeleteAsync(admin, appId, name, Db, S<AuditLog>(), ct);

    public Task AssignRolesAsync(AdminCaller admin, string appId, Guid userId, UserRoleEndpoints.UserRolesRequest request, CancellationToken ct) =>
        UserRoleEndpoints.ReplaceAsync(admin, appId, userId, request, Db, S<RoleAssignments>(), ct);

    // OpenID Connect clients
    public async Task<List<OidcClientEndpoints.ClientView>> ClientsAsync(AdminCaller admin, string appId, CancellationToken ct) =>
        (await OidcClientEndpoints.ListAsync(admin, appId, Db, ct)).Value!;

    public async Task<OidcClientEndpoints.CreatedClient> CreateClientAsync(AdminCaller admin, string appId, OidcClientEndpoints.CreateRequest request, CancellationToken ct) =>
        (await OidcClientEndpoints.CreateAsync(admin, appId, request, Db, S<AuditLog>(), S<TimeProvider>(), ct)).Value!;

    public Task DeleteClientAsync(AdminCaller admin, string appId, string clientId, CancellationToken ct) =>
        OidcClientEndpoints.DeleteAsync(admin, appId, clientId, Db, S<OidcClientCache>(), S<AuditLog>(), ct);

    public async Task<OidcClientEndpoints.NewSecret> RotateClientSecretAsync(AdminCaller admin, string appId, string clientId, CancellationToken ct) =>
        (await OidcClientEndpoints.RotateSecretAsync(admin, appId, clientId, Db, S<OidcClientCache>(), S<AuditLog>(), S<TimeProvider>(), ct)).Value!;

    // Outbox and audit trail
    public async Task<List<OutboxEndpoints.OutboxMessage>> OutboxAsync(AdminCaller admin, string appId, string? to, int limit, CancellationToken ct) =>
        (await OutboxEndpoints.ListAsync(admin, appId, to, limit, Db, S<ServerKeys>(), S<IOptions<DeliveryOptions>>(), S<AuditLog>(), ct)).Value!;

    public Task<IReadOnlyList<AuditEntry>> AuditAsync(string appId, AuditQuery query, CancellationToken ct) =>
        S<AuditTrail>().ListAsync(appId, query, ct);

    public Task<AuditVerification> VerifyAuditAsync(string appId, CancellationToken ct) => S<AuditTrail>().VerifyAsync(appId, ct);

    private T S<T>() where T : notnull => services.GetRequiredService<T>();
}
