using Latchkey.Server.Features.Audit;
using System.Text.Json;
using System.Text.Json.Nodes;
using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.Challenges;
using Latchkey.Server.Features.Delivery;
using Latchkey.Server.Features.RateLimits;
using Latchkey.Server.Features.Users;
using Latchkey.Server.Infrastructure.Crypto;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Server.Infrastructure.Problems;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.Invitations;

/// <summary>The sealed part of an invitation: the handle and the inviter's metadata.</summary>
public sealed record InvitationPayload(string Handle, JsonObject? Metadata, string? Language);

/// <summary>Creates, checks and revokes invitations; each decision is a conditional update.</summary>
public sealed class InvitationService(
    LatchkeyDbContext db, ServerKeys keys, UserAccounts accounts, MessageQueue messages, CredentialThrottle throttle, AuditLog audit, TimeProvider clock)
{
    public async Task<Invitation> InviteAsync(App app, Inviter inviter, Handle handle, JsonObject? metadata, bool sendWelcome,
        TimeSpan lifetime, string? language, CancellationToken ct)
    {
        await accounts.EnsureAvailableAsync(app, handle.IsEmail ? handle.Value : null, handle.IsEmail ? null : handle.Value, null, null, ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var index = HandleIndex(app, handle);
        // A new invitation of the same handle replaces the old one: only the newest code works.
        await db.Invitations
            .Where(i => i.AppId == app.Id && i.HandleIndex == index && i.AcceptedAt == null && i.RevokedAt == null)
            .ExecuteUpdateAsync(i => i.SetProperty(x => x.RevokedAt, now), ct);

        var id = Guid.CreateVersion7();
        var code = OneTimeCodes.New();
        var invitation = new Invitation
        {
            Id = id,
            AppId = app.Id,
            Channel = handle.Channel,
            HandleIndex = index,
            PayloadSealed = keys.SealPending(Context(id), JsonSerializer.Serialize(new InvitationPayload(handle.Value, metadata, language), JsonSerializerOptions.Web)),
            CodeHash = keys.CodeHash(id, code),
            SendWelcome = sendWelcome,
            InvitedBy = inviter.Label,
            InviterUserId = inviter.IsServer ? null : inviter.UserId,
            MaxAttempts = app.Settings.CodeMaxAttempts,
            CreatedAt = now,
            ExpiresAt = now + lifetime,
        };
        db.Invitations.Add(invitation);
        // Note: the invitee has no account yet: the trail names the invitation and its inviter, not the handle.
        audit.RecordBy(app.Id, inviter.UserId, inviter.ActorAppId ?? app.Id, AuditActions.InvitationCreate, null,
            $"invitation={id}; channel={handle.Channel}; by={inviter.Label}");
        await messages.QueueAsync(app, new OutgoingMessage(handle.Channel, handle.Value, MessageKinds.Invitation, language, code, null, invitation.ExpiresAt), ct);
        await db.SaveChangesAsync(ct);
        return invitation;
    }

    /// <summary>Checks the code of the handle's live invitation and claims it once; answers it with its payload.</summary>
    public async Task<(Invitation Invitation, InvitationPayload Payload)> ClaimAsync(App app, Handle handle, string? code, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var index = HandleIndex(app, handle);
        var invitation = await db.Invitations.AsNoTracking()
            .Where(i => i.AppId == app.Id && i.HandleIndex == index)
            .OrderByDescending(i => i.CreatedAt).ThenByDescending(i => i.Id)
            .FirstOrDefaultAsync(ct);
        if (invitation is { RevokedAt: null, AcceptedAt: null } && invitation.Attempts >= invitation.MaxAttempts && now < invitation.ExpiresAt)
        {
            throw Problems.TooManyAttempts(3600, "Too many wrong codes for this invitation; ask the inviter to send a new one.");
        }
        // S5: guesses at a handle's invitation codes count across invitations, and per address.
        var attempt = await throttle.EnsureAllowedAsync(app.Id, CredentialKinds.Invitation, handle.Value, ct);
        if (invitation is null || invitation.RevokedAt is not null || invitation.AcceptedAt is not null)
        {
            await throttle.RecordFailureAsync(attempt, ct);
            throw Problems.CodeInvalid("There is no open invitation for this handle with this code.");
        }
        if (now >= invitation.ExpiresAt)
        {
            throw Problems.CodeExpired("This invitation has expired; ask for a new one.");
        }
        var counted = await db.Invitations
            .Where(i => i.Id == invitation.Id && i.Attempts < i.MaxAttempts)
            .ExecuteUpdateAsync(i => i.SetProperty(x => x.Attempts, x => x.Attempts + 1), ct);
        if (counted == 0)
        {
            throw Problems.TooManyAttempts(3600, "Too many wrong codes for this invitation; ask the inviter to send a new one.");
        }
        var matches = OneTimeCodes.Matches(keys, invitation.Id, invitation.CodeHash, code);
        if (!matches)
        {
            await throttle.RecordFailureAsync(attempt, ct);
            var left = invitation.MaxAttempts - invitation.Attempts - 1;
            throw left <= 0
                ? Problems.TooManyAttempts(3600, "Too many wrong codes for this invitation; ask the inviter to send a new one.")
                : Problems.CodeInvalid("This code is not right.", left);
        }
        await throttle.RecordSuccessAsync(attempt, ct);
        var claimed = await db.Invitations
            .Where(i => i.Id == invitation.Id && i.AcceptedAt == null && i.RevokedAt == null)
            .ExecuteUpdateAsync(i => i.SetProperty(x => x.AcceptedAt, now), ct);
        if (claimed == 0)
        {
            throw Problems.CodeInvalid("This invitation was already used or revoked.");
        }
        return (invitation, Payload(invitation));
    }

    /// <summary>Gives an invitation back when the account could not be created after all.</summary>
    public Task ReleaseAsync(Invitation invitation) =>
        db.Invitations.Where(i => i.Id == invitation.Id).ExecuteUpdateAsync(i => i.SetProperty(x => x.AcceptedAt, (DateTime?)null), CancellationToken.None);

    public Task MarkAcceptedByAsync(Invitation invitation, Guid userId, CancellationToken ct) =>
        db.Invitations.Where(i => i.Id == invitation.Id).ExecuteUpdateAsync(i => i.SetProperty(x => x.AcceptedUserId, userId), ct);

    public InvitationPayload Payload(Invitation invitation) =>
        JsonSerializer.Deserialize<InvitationPayload>(keys.OpenPending(Context(invitation.Id), invitation.PayloadSealed), JsonSerializerOptions.Web)!;

    private byte[] HandleIndex(App app, Handle handle) => keys.Blind(app.Id, "invitation-" + handle.Channel, handle.Value);

    private static string Context(Guid id) => $"invitation:{id}";
}
