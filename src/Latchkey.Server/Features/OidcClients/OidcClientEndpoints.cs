using System.Text.Json;
using System.Text.Json.Serialization;
using Latchkey.Server.Features.Audit;
using Latchkey.Server.Features.Auth;
using Latchkey.Server.Features.CustomRoles;
using Latchkey.Server.Infrastructure.Crypto;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Server.Infrastructure.Problems;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.OidcClients;

/// <summary>
/// Admin API for the clients of an app's OpenID Connect provider (MISSION X1): register, read,
/// change and delete them; a confidential client's secret is shown once, at creation or rotation.
/// </summary>
public static class OidcClientEndpoints
{
    private const string Description =
        "type \"public\" is a native app (no secret; PKCE always); \"confidential\" is the app's own server (a secret, shown once). "
        + "Redirect URIs match exactly, except that a loopback IP literal (http://127.0.0.1/…, http://[::1]/…) accepts any port "
        + "(RFC 8252 §7.3); private-use schemes (com.example.app:/callback) and claimed https URIs are allowed for public clients. "
        + "scopes null or absent: the client may ask for every scope of the app.";

    public static RouteGroupBuilder MapAdminOidcClientEndpoints(this RouteGroupBuilder admin)
    {
        admin.MapPost("/apps/{appId}/clients", CreateAsync).RequireAdminPermission(AdminPermissions.AppsWrite)
            .WithSummary("Register an OpenID Connect client of the app").WithDescription(Description);
        admin.MapGet("/apps/{appId}/clients", ListAsync).RequireAdminPermission(AdminPermissions.AppsRead)
            .WithSummary("The app's OpenID Connect clients (without secrets)");
        admin.MapGet("/apps/{appId}/clients/{clientId}", GetAsync).RequireAdminPermission(AdminPermissions.AppsRead)
            .WithSummary("Read one OpenID Connect client");
        admin.MapPatch("/apps/{appId}/clients/{clientId}", UpdateAsync).RequireAdminPermission(AdminPermissions.AppsWrite)
            .WithSummary("Change a client's name, redirect URIs or scopes (fields present are replaced; its type stays)").WithDescription(Description);
        admin.MapDelete("/apps/{appId}/clients/{clientId}", DeleteAsync).RequireAdminPermission(AdminPermissions.AppsWrite)
            .WithSummary("Delete a client: it can start no more sign-ins");
        admin.MapPost("/apps/{appId}/clients/{clientId}/secret", RotateSecretAsync).RequireAdminPermission(AdminPermissions.AppsWrite)
            .WithSummary("Give a confidential client a new secret, shown only now; the old one stops working at once");
        return admin;
    }

    [JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
    public sealed record CreateRequest
    {
        public string? ClientId { get; init; }
        public string? Name { get; init; }
        public string? Type { get; init; }
        public List<string?>? RedirectUris { get; init; }
        public List<string?>? PostLogoutRedirectUris { get; init; }
        public List<string?>? Scopes { get; init; }
    }

    [JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
    public sealed record UpdateRequest
    {
        public string? Name { get; init; }
        /// <summary>Only to restate the type: a client's type cannot change.</summary>
        public string? Type { get; init; }
        public List<string?>? RedirectUris { get; init; }
        public List<string?>? PostLogoutRedirectUris { get; init; }
        /// <summary>Absent: unchanged; null: every scope of the app; an array: these.</summary>
        public JsonElement Scopes { get; init; }
    }

    public sealed record ClientView(
        string ClientId, string Name, string Type, IReadOnlyList<string> RedirectUris, IReadOnlyList<string> PostLogoutRedirectUris,
        IReadOnlyList<string>? Scopes, DateTime CreatedAt, DateTime UpdatedAt)
    {
        // Note: SQLite gives times back without their kind; they are UTC, and say so in JSON.
        public static ClientView From(OidcClient client) => new(
            client.ClientId, client.Name, client.Type, client.RedirectUris, client.PostLogoutRedirectUris, client.Scopes,
            DateTime.SpecifyKind(client.CreatedAt, DateTimeKind.Utc), DateTime.SpecifyKind(client.UpdatedAt, DateTimeKind.Utc));
    }

    /// <summary>A client as registered, with its secret when it is confidential (shown this once).</summary>
    public sealed record CreatedClient(
        string ClientId, string Name, string Type, IReadOnlyList<string> RedirectUris, IReadOnlyList<string> PostLogoutRedirectUris,
        IReadOnlyList<string>? Scopes, DateTime CreatedAt, DateTime UpdatedAt,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ClientSecret);

    public sealed record NewSecret(string ClientId, string ClientSecret);

    internal static async Task<Created<CreatedClient>> CreateAsync(
        AdminCaller admin, string appId, CreateRequest request, LatchkeyDbContext db, AuditLog audit, TimeProvider clock, CancellationToken ct)
    {
        var errors = new FieldErrors();
        var clientId = request.ClientId ?? OidcClientRules.NewClientId();
        OidcClientRules.CheckClientId(clientId, errors);
        var name = OidcClientRules.CheckName(request.Name, errors);
        var type = OidcClientRules.CheckType(request.Type, errors) ?? OidcClientTypes.Public;
        var redirectUris = OidcClientRules.CheckUris("redirectUris", request.RedirectUris, type, required: type == OidcClientTypes.Public, errors);
        var logoutUris = OidcClientRules.CheckUris("postLogoutRedirectUris", request.PostLogoutRedirectUris, type, required: false, errors);
        var scopes = OidcClientRules.CheckScopes(request.Scopes, errors);
        errors.ThrowIfAny();
        await EnsureAppAsync(db, appId, ct);

        var now = Now(clock);
        var secret = type == OidcClientTypes.Confidential ? Secrets.NewToken() : null;
        var client = new OidcClient
        {
            AppId = appId,
            ClientId = clientId,
            Name = name!,
            Type = type,
            RedirectUris = redirectUris,
            PostLogoutRedirectUris = logoutUris,
            Scopes = scopes,
            SecretHash = secret is null ? null : Secrets.Hash(secret),
            CreatedBy = admin.Caller.UserId,
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.OidcClients.Add(client);
        audit.Record(admin, appId, AuditActions.ClientCreate, null, $"client={clientId} type={type}");
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // The id is taken (the primary key decides, also when two admins register it at once).
            throw ClientExists(clientId);
        }
        var view = ClientView.From(client);
        return TypedResults.Created($"/v1/admin/apps/{appId}/clients/{clientId}", new CreatedClient(
            view.ClientId, view.Name, view.Type, view.RedirectUris, view.PostLogoutRedirectUris, view.Scopes, view.CreatedAt, view.UpdatedAt, secret));
    }

    internal static async Task<Ok<List<ClientView>>> ListAsync(AdminCaller admin, string appId, LatchkeyDbContext db, CancellationToken ct)
    {
        await EnsureAppAsync(db, appId, ct);
        var clients = await db.OidcClients.IgnoreQueryFilters().AsNoTracking().Where(c => c.AppId == appId)
            .OrderBy(c => c.CreatedAt).ThenBy(c => c.ClientId).ToListAsync(ct);
        return TypedResults.Ok(clients.Select(ClientView.From).ToList());
    }

    internal static async Task<Ok<ClientView>> GetAsync(AdminCaller admin, string appId, string clientId, LatchkeyDbContext db, CancellationToken ct) =>
        TypedResults.Ok(ClientView.From(await FindAsync(db, appId, clientId, ct) ?? throw await NotFoundAsync(db, appId, clientId, ct)));

    internal static async Task<Ok<ClientView>> UpdateAsync(
        AdminCaller admin, string appId, string clientId, UpdateRequest request, LatchkeyDbContext db, OidcClientCache cache, AuditLog audit,
        TimeProvider clock, CancellationToken ct)
    {
        var client = await FindAsync(db, appId, clientId, ct, tracked: true) ?? throw await NotFoundAsync(db, appId, clientId, ct);
        var errors = new FieldErrors();
        if (request.Type is not null && request.Type != client.Type)
        {
            errors.Add("type", $"A client's type cannot change (this one is {client.Type}); register a new client instead.");
        }
        var name = request.Name is null ? client.Name : OidcClientRules.CheckName(request.Name, errors);
        var redirectUris = request.RedirectUris is null
            ? client.RedirectUris
            : OidcClientRules.CheckUris("redirectUris", request.RedirectUris, client.Type, required: client.Type == OidcClientTypes.Public, errors);
        var logoutUris = request.PostLogoutRedirectUris is null
            ? client.PostLogoutRedirectUris
            : OidcClientRules.CheckUris("postLogoutRedirectUris", request.PostLogoutRedirectUris, client.Type, required: false, errors);
        var scopes = request.Scopes.ValueKind switch
        {
            JsonValueKind.Undefined => client.Scopes,
            JsonValueKind.Null => null,
            JsonValueKind.Array when request.Scopes.EnumerateArray().All(s => s.ValueKind is JsonValueKind.String or JsonValueKind.Null) =>
                OidcClientRules.CheckScopes(request.Scopes.EnumerateArray().Select(s => s.GetString()).ToList(), errors),
            _ => Refused(errors, "scopes", "scopes is null (every scope of the app) or an array of scope names."),
        };
        errors.ThrowIfAny();

        client.Name = name!;
        client.RedirectUris = redirectUris;
        client.PostLogoutRedirectUris = logoutUris;
        client.Scopes = scopes;
        client.UpdatedAt = Now(clock);
        audit.Record(admin, appId, AuditActions.ClientUpdate, null, $"client={clientId}");
        await db.SaveChangesAsync(ct);
        cache.Forget(appId, clientId);
        return TypedResults.Ok(ClientView.From(client));
    }

    internal static async Task<NoContent> DeleteAsync(
        AdminCaller admin, string appId, string clientId, LatchkeyDbContext db, OidcClientCache cache, AuditLog audit, CancellationToken ct)
    {
        var client = await FindAsync(db, appId, clientId, ct, tracked: true) ?? throw await NotFoundAsync(db, appId, clientId, ct);
        db.OidcClients.Remove(client);
        audit.Record(admin, appId, AuditActions.ClientDelete, null, $"client={clientId}");
        await db.SaveChangesAsync(ct);
        cache.Forget(appId, clientId);
        return TypedResults.NoContent();
    }

    internal static async Task<Ok<NewSecret>> RotateSecretAsync(
        AdminCaller admin, string appId, string clientId, LatchkeyDbContext db, OidcClientCache cache, AuditLog audit, TimeProvider clock,
        CancellationToken ct)
    {
        var client = await FindAsync(db, appId, clientId, ct, tracked: true) ?? throw await NotFoundAsync(db, appId, clientId, ct);
        if (client.Type != OidcClientTypes.Confidential)
        {
            throw Problems.Conflict("client_public", "A public client has no secret: native apps prove themselves with PKCE instead.");
        }
        var secret = Secrets.NewToken();
        client.SecretHash = Secrets.Hash(secret);
        client.UpdatedAt = Now(clock);
        audit.Record(admin, appId, AuditActions.ClientSecretRotate, null, $"client={clientId}");
        await db.SaveChangesAsync(ct);
        cache.Forget(appId, clientId);
        return TypedResults.Ok(new NewSecret(clientId, secret));
    }

    internal static Task<OidcClient?> FindAsync(LatchkeyDbContext db, string appId, string clientId, CancellationToken ct, bool tracked = false)
    {
        var clients = db.OidcClients.IgnoreQueryFilters();
        return (tracked ? clients : clients.AsNoTracking()).FirstOrDefaultAsync(c => c.AppId == appId && c.ClientId == clientId, ct);
    }

    private static List<string>? Refused(FieldErrors errors, string field, string message)
    {
        errors.Add(field, message);
        return null;
    }

    private static async Task EnsureAppAsync(LatchkeyDbContext db, string appId, CancellationToken ct)
    {
        if (!await db.Apps.AnyAsync(a => a.Id == appId, ct))
        {
            throw Problems.AppNotFound(appId);
        }
    }

    private static async Task<ProblemException> NotFoundAsync(LatchkeyDbContext db, string appId, string clientId, CancellationToken ct)
    {
        await EnsureAppAsync(db, appId, ct);
        return Problems.NotFound($"This app has no client '{clientId}'.");
    }

    private static ProblemException ClientExists(string clientId) =>
        Problems.Conflict("client_exists", $"This app already has a client '{clientId}'.");

    /// <summary>Now, to the microsecond: PostgreSQL keeps microseconds, so the answer shows the time a later read will.</summary>
    private static DateTime Now(TimeProvider clock)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        return new DateTime(now.Ticks - now.Ticks % 10, DateTimeKind.Utc);
    }
}
