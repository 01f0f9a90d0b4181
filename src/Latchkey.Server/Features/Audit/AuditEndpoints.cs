using System.Net;
using System.Text.Json.Nodes;
using Latchkey.Server.Features.Auth;
using Latchkey.Server.Features.CustomRoles;
using Latchkey.Server.Infrastructure.Http;
using Latchkey.Server.Infrastructure.Problems;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Latchkey.Server.Features.Audit;

/// <summary>Admin API for the audit trail (MISSION P5): read it, verify its chain, get the checkpoint key.</summary>
public static class AuditEndpoints
{
    public static IServiceCollection AddAudit(this IServiceCollection services)
    {
        services.AddScoped<AuditLog>();
        services.AddScoped<AuditTrail>();
        services.AddSingleton<AuditChain>();
        services.AddSingleton<AuditCheckpoints>();
        services.AddOptions<AuditOptions>().BindConfiguration(AuditOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddHostedService<AuditBackfill>();
        services.AddHostedService<AuditCheckpointWriter>();
        services.AddHostedService<AuditCheckpointJob>();
        return services;
    }

    public static RouteGroupBuilder MapAdminAuditEndpoints(this RouteGroupBuilder admin)
    {
        admin.MapGet("/apps/{appId}/audit", ListAsync).RequireAdminPermission(AdminPermissions.AuditRead)
            .WithSummary("The app's audit trail, newest first")
            .WithDescription("?limit= (default 50, at most 500), ?before=<seq> for the next page, filters ?action=, ?targetUserId=, ?actorUserId=, " +
                "?address=<IP> (the records whose source is that address's pseudonym; sources are never stored in clear).");
        admin.MapGet("/apps/{appId}/audit/verify", VerifyAsync).RequireAdminPermission(AdminPermissions.AuditRead)
            .WithSummary("Walk the app's audit hash chain and compare it with the signed checkpoint")
            .WithDescription("valid false names the first break: brokenAt (a seq) and reason: missing (a deleted record), link, " +
                "hash (an edited record), truncated (newest records cut off), head, checkpoint, checkpoint_signature, unchained.");
        admin.MapGet("/audit/checkpoint-key", CheckpointKeyAsync).RequireAdminPermission(AdminPermissions.Platform)
            .WithSummary("The public key that signs audit checkpoints (super admin), to check them outside Latchkey");
        return admin;
    }

    /// <summary>The checkpoint signing key's public half, and what exactly it signs.</summary>
    public sealed record CheckpointKeyView(string KeyId, string Algorithm, string PublicKeyPem, JsonObject Jwk, string SignedPayload);

    internal static async Task<Ok<IReadOnlyList<AuditEntry>>> ListAsync(
        AdminCaller admin, string appId, int? limit, long? before, string? action, Guid? targetUserId, Guid? actorUserId, string? address,
        AuditTrail trail, CancellationToken ct)
    {
        if (limit is < 1 or > AuditQuery.MaxLimit)
        {
            throw Problems.InvalidField("limit", $"limit must be 1 to {AuditQuery.MaxLimit}.");
        }
        var client = ParseAddress(address);
        return TypedResults.Ok(await trail.ListAsync(appId, new AuditQuery(limit, before, action, targetUserId, actorUserId, client), ct));
    }

    /// <summary>An <c>address</c> filter: an IPv4 or IPv6 address, or nothing.</summary>
    internal static IPAddress? ParseAddress(string? address) =>
        string.IsNullOrWhiteSpace(address) ? null
        : IpRange.TryParseAddress(address.Trim(), out var parsed) ? parsed
        : throw Problems.InvalidField("address", "address must be an IPv4 or IPv6 address.");

    internal static async Task<Ok<AuditVerification>> VerifyAsync(AdminCaller admin, string appId, AuditTrail trail, CancellationToken ct) =>
        TypedResults.Ok(await trail.VerifyAsync(appId, ct));

    internal static async Task<Ok<CheckpointKeyView>> CheckpointKeyAsync(AdminCaller admin, AuditCheckpoints checkpoints, CancellationToken ct)
    {
        var key = await checkpoints.SigningKeyAsync(ct);
        return TypedResults.Ok(new CheckpointKeyView(key.KeyId, AuditSigningKey.Algorithm, key.PublicKeyPem, key.PublicJwk, AuditCheckpoints.PayloadFormat));
    }
}
