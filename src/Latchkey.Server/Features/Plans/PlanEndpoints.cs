using Latchkey.Server.Features.Auth;
using Latchkey.Server.Features.CustomRoles;
using Latchkey.Server.Features.Jobs;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Server.Infrastructure.Problems;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Latchkey.Server.Features.Plans;

/// <summary>Plans (MISSION U4): the expiry job, and what the console shows of it.</summary>
public static class PlanEndpoints
{
    public static IServiceCollection AddPlans(this IServiceCollection services)
    {
        services.AddOptions<PlanOptions>().BindConfiguration(PlanOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddScoped<PlanExpiry>();
        services.AddHostedService<PlanJob>();
        return services;
    }

    public static RouteGroupBuilder MapAdminPlanEndpoints(this RouteGroupBuilder admin)
    {
        admin.MapGet("/apps/{appId}/plans/job", GetJobAsync).RequireAdminPermission(AdminPermissions.AppsRead)
            .WithSummary("The plan-expiry job: when it last ran and which node holds its lease (the job serves all apps)");
        return admin;
    }

    /// <summary>The job's state. <c>holder</c> names a server node, so only super admins see it.</summary>
    public sealed record PlanJobView(DateTime? LastRunAt, string? Holder, DateTime? LeaseExpiresAt);

    internal static async Task<Ok<PlanJobView>> GetJobAsync(AdminCaller admin, string appId, LatchkeyDbContext db, JobLeases leases, CancellationToken ct)
    {
        if (!await db.Apps.AnyAsync(a => a.Id == appId, ct))
        {
            throw Problems.AppNotFound(appId);
        }
        var lease = await leases.FindAsync(PlanJob.Name, ct);
        return TypedResults.Ok(new PlanJobView(
            Utc(lease?.LastRunAt),
            admin.IsSuperAdmin ? lease?.Holder : null,
            Utc(lease?.ExpiresAt)));
    }

    private static DateTime? Utc(DateTime? value) => value is { } v ? DateTime.SpecifyKind(v, DateTimeKind.Utc) : null;
}
