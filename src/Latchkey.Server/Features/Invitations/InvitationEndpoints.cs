using Latchkey.Server.Features.Audit;
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Nodes;
using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.Auth;
using Latchkey.Server.Features.Delivery;
using Latchkey.Server.Features.Passwords;
using Latchkey.Server.Features.Sessions;
using Latchkey.Server.Features.SignUp;
using Latchkey.Server.Features.Tokens;
using Latchkey.Server.Features.Users;
using Latchkey.Server.Infrastructure.Http;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Server.Infrastructure.Problems;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.Invitations;

/// <summary>Invitations (MISSION A6, A7): invite a handle, accept with the code, revoke, list.</summary>
public static class InvitationEndpoints
{
    public static RouteGroupBuilder MapInvitationEndpoints(this RouteGroupBuilder app)
    {
        app.MapPost("/invitations", InviteAsync).Accepts(ApiCredential.Bearer, ApiCredential.ServerKey)
            .WithSummary("Invite an email or phone: a 6-digit code is sent to it")
            .WithDescription("Bearer of a user (when invitationsEnabled), an app admin or a super admin; or an app server key by HTTP Basic. " +
                "The metadata of an admin's or server's invitation becomes the invitee's appMetadata; a user's joins the invitee's own metadata.");
        app.MapGet("/invitations", ListAsync).Accepts(ApiCredential.Bearer, ApiCredential.ServerKey).WithSummary("Invitations the caller sent (admins and server keys: all of the app's)");
        app.MapDelete("/invitations/{invitationId:guid}", RevokeAsync).Accepts(ApiCredential.Bearer, ApiCredential.ServerKey).WithSummary("Revoke an invitation that was not accepted yet");
        app.MapPost("/invitations/accept", AcceptAsync).WithSummary("Join the app with an invitation's code");
        return app;
    }

    public sealed record InviteRequest
    {
        [Required, MaxLength(EmailAddress.MaxLength)] public string Handle { get; init; } = "";
        public JsonObject? Metadata { get; init; }
        public bool SendWelcome { get; init; }
        [Range(300, 90 * 86_400)] public int? ExpiresInSeconds { get; init; }
        /// <summary>The language of the invitation message, e.g. "de".</summary>
        [MaxLength(16)] public string? Language { get; init; }
    }

    public sealed record AcceptRequest
    {
        [Required, MaxLength(EmailAddress.MaxLength)] public string Handle { get; init; } = "";
        [Required, MaxLength(16)] public string Code { get; init; } = "";
        [MaxLength(4096)] public string? Password { get; init; }
        [MaxLength(200)] public string? Username { get; init; }
        public JsonObject? Metadata { get; init; }
        public Device? Device { get; init; }
    }

    public sealed record InvitationCreated(Guid Id, DateTime ExpiresAt);

    public sealed record InvitationView(Guid Id, string Channel, string InvitedBy, DateTime CreatedAt, DateTime ExpiresAt,
        DateTime? AcceptedAt, Guid? AcceptedUserId, DateTime? RevokedAt);

    internal static async Task<Created<InvitationCreated>> InviteAsync(
        CurrentApp app, InviteRequest request, HttpContext context, InvitationService invitations, CancellationToken ct)
    {
        var inviter = await Inviter.FromAsync(context, app, mustBeAllowedToInvite: true);
        var handle = HandleInput.ParseAny(request.Handle, "handle");
        JsonLimits.EnsureSmallObject(request.Metadata, "metadata");
        var lifetime = TimeSpan.FromSeconds(request.ExpiresInSeconds ?? app.Settings.InvitationLifetimeSeconds);
        var invitation = await invitations.InviteAsync(app.App, inviter, handle, request.Metadata, request.SendWelcome, lifetime, request.Language, ct);
        return TypedResults.Created($"/v1/apps/{app.Id}/invitations/{invitation.Id}", new InvitationCreated(invitation.Id, invitation.ExpiresAt));
    }

    internal static async Task<Ok<List<InvitationView>>> ListAsync(CurrentApp app, HttpContext context, LatchkeyDbContext db, CancellationToken ct)
    {
        var inviter = await Inviter.FromAsync(context, app, mustBeAllowedToInvite: false);
        var query = db.Invitations.AsNoTracking().Where(i => i.AppId == app.Id);
        if (!inviter.ManagesAll)
        {
            query = query.Where(i => i.InviterUserId == inviter.UserId);
        }
        return TypedResults.Ok(await query.OrderByDescending(i => i.CreatedAt).Take(200)
            .Select(i => new InvitationView(i.Id, i.Channel, i.InvitedBy, i.CreatedAt, i.ExpiresAt, i.AcceptedAt, i.AcceptedUserId, i.RevokedAt))
            .ToListAsync(ct));
    }

    internal static async Task<NoContent> RevokeAsync(
        CurrentApp app, Guid invitationId, HttpContext context, LatchkeyDbContext db, AuditLog audit, TimeProvider clock, CancellationToken ct)
    {
        var inviter = await Inviter.FromAsync(context, app, mustBeAllowedToInvite: false);
        var now = clock.GetUtcNow().UtcDateTime;
        var query = db.Invitations.Where(i => i.Id == invitationId && i.AppId == app.Id && i.AcceptedAt == null && i.RevokedAt == null);
        if (!inviter.ManagesAll)
        {
            query = query.Where(i => i.InviterUserId == inviter.UserId);
        }
        if (await query.ExecuteUpdateAsync(i => i.SetProperty(x => x.RevokedAt, now), ct) != 1)
        {
            throw Problems.NotFound("You have no open invitation with this id.");
        }
        audit.RecordBy(app.Id, inviter.UserId, inviter.ActorAppId ?? app.Id, AuditActions.InvitationRevoke, null, $"invitation={invitationId}; by={inviter.Label}");
        await db.SaveChangesAsync(ct);
        return TypedResults.NoContent();
    }

    internal static async Task<Ok<TokenResponse>> AcceptAsync(
        CurrentApp app, AcceptRequest request, InvitationService invitations, UserAccounts accounts, PasswordHasher hasher,
        PasswordPolicy policy, VerificationFlows flows, MessageQueue messages, LatchkeyDbContext db, CancellationToken ct)
    {
        var handle = HandleInput.ParseAny(request.Handle, "handle");
        // Note: input is checked before the code, so a typo in a password never costs an attempt.
        var details = CheckAccountInput(app.App, handle, request, policy);
        var (invitation, payload) = await invitations.ClaimAsync(app.App, handle, request.Code, ct);
        var trusted = Inviter.GrantsAppMetadata(invitation.InvitedBy);
        UserAccounts.Created created;
        try
        {
            created = await accounts.CreateAsync(app.App, new NewUser
            {
                Email = handle.IsEmail ? handle.Value : null,
                EmailVerified = handle.IsEmail,
                Phone = handle.IsEmail ? null : handle.Value,
                PhoneVerified = !handle.IsEmail,
                Username = details.Username,
                PasswordHash = request.Password is { Length: > 0 } password ? await hasher.HashAsync(password, ct) : null,
                Metadata = trusted ? request.Metadata : Merge(request.Metadata, payload.Metadata),
                AppMetadata = trusted ? payload.Metadata : null,
            }, ct);
        }
        catch
        {
            await invitations.ReleaseAsync(invitation);
            throw;
        }
        await invitations.MarkAcceptedByAsync(invitation, created.User.Id, ct);
        if (invitation.SendWelcome)
        {
            await messages.QueueAsync(app.App, new OutgoingMessage(handle.Channel, handle.Value, MessageKinds.Welcome,
                HandleInput.Language(request.Device) ?? payload.Language), ct);
            await db.SaveChangesAsync(ct);
        }
        return TypedResults.Ok(await flows.TokensAsync(app.App, created.User, created.Key, request.Device, ct));
    }

    private static NewAccountInput.Checked CheckAccountInput(App app, Handle handle, AcceptRequest request, PasswordPolicy policy)
    {
        // Note: an invitation may go to a phone even where SMS sign-in is off; the code proves the phone.
        var details = NewAccountInput.CheckUsername(app, request.Username);
        if (!string.IsNullOrEmpty(request.Password))
        {
            policy.Check(request.Password, handle.IsEmail ? handle.Value : null);
        }
        else if (app.Settings.Allows(SignInMethods.Password) && !app.Settings.Allows(handle.IsEmail ? SignInMethods.EmailCode : SignInMethods.SmsCode))
        {
            throw Problems.InvalidField("password", "A password is required: this app signs users in with a password.");
        }
        JsonLimits.EnsureSmallObject(request.Metadata, "metadata");
        return details;
    }

    /// <summary>
    /// A fellow user's invitation metadata (a referrer, a note) joins the invitee's own metadata,
    /// which the invitee may edit: users never grant each other appMetadata.
    /// </summary>
    private static JsonObject? Merge(JsonObject? signup, JsonObject? invitation)
    {
        if (signup is null && invitation is null)
        {
            return null;
        }
        var merged = (JsonObject?)signup?.DeepClone() ?? [];
        foreach (var (name, value) in invitation ?? [])
        {
            merged[name] = value?.DeepClone();
        }
        return merged;
    }
}
