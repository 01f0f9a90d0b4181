using System.Net;
using Latchkey.Server.Features.Jobs;
using Latchkey.Tests.Infrastructure;

namespace Latchkey.Tests.Features.Plans;

/// <summary>Background jobs run on one node at a time through a lease in the database.</summary>
public abstract class JobLeaseTests(ServerFixture fixture) : PlanTest(fixture)
{
    private static readonly TimeSpan Ttl = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task A_lease_is_one_nodes_until_it_expires_or_is_handed_back()
    {
        var job = "test-" + Guid.NewGuid().ToString("N")[..12];
        await using var other = SecondNode();

        Assert.True(await TryAcquireAsync(Factory, job));
        Assert.False(await TryAcquireAsync(other, job));
        Factory.Clock.Advance(TimeSpan.FromMinutes(3));
        // The holder renews its lease; the other node still waits.
        Assert.True(await TryAcquireAsync(Factory, job));
        Factory.Clock.Advance(TimeSpan.FromMinutes(4));
        Assert.False(await TryAcquireAsync(other, job));

        Factory.Clock.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));
        Assert.True(await TryAcquireAsync(other, job));
        Assert.False(await TryAcquireAsync(Factory, job));

        await using (var scope = other.Services.CreateAsyncScope())
        {
            var leases = scope.ServiceProvider.GetRequiredService<JobLeases>();
            await leases.RecordRunAsync(job, Ct);
            var lease = await leases.FindAsync(job, Ct);
            // PostgreSQL keeps microseconds.
            Assert.True(Math.Abs((lease!.LastRunAt!.Value - Now.UtcDateTime).TotalMilliseconds) < 1, $"{lease.LastRunAt:O} vs {Now:O}");
            Assert.Equal(other.Services.GetRequiredService<NodeIdentity>().Id, lease.Holder);
            Assert.True(await leases.ReleaseAsync(job, Ct));
        }
        // Handed back: the first node need not wait for the expiry.
        Assert.True(await TryAcquireAsync(Factory, job));
    }

    [Fact]
    public async Task Of_two_nodes_asking_at_once_one_gets_a_new_lease()
    {
        await using var other = SecondNode();
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var job = "race-" + Guid.NewGuid().ToString("N")[..12];
            var answers = await Task.WhenAll(TryAcquireAsync(Factory, job), TryAcquireAsync(other, job));
            Assert.Single(answers, taken => taken);
        }
    }

    [Fact]
    public async Task The_plan_jobs_state_is_shown_to_admins_and_its_node_only_to_super_admins()
    {
        var app = await CreateAppAsync();
        var path = $"/v1/admin/apps/{app}/plans/job";
        var super = await AdminTokenAsync();

        var state = await OkJsonAsync(await GetAsync(path, super));
        var appAdmin = await OkJsonAsync(await GetAsync(path, Access(await AppAdminAsync(app))));

        // The node that started first took the lease at once (the job runs when a node starts).
        Assert.NotNull(Date(state, "leaseExpiresAt"));
        Assert.NotNull(Date(state, "lastRunAt"));
        Assert.False(string.IsNullOrEmpty(Str(state, "holder")));
        Assert.NotNull(Date(appAdmin, "leaseExpiresAt"));
        Assert.Null(appAdmin["holder"]);
        await AssertProblemAsync(await GetAsync(path, Access(await SignUpAsync(app))), HttpStatusCode.Forbidden, "forbidden");
        await AssertProblemAsync(await GetAsync("/v1/admin/apps/no-such-app/plans/job", super), HttpStatusCode.NotFound, "app_not_found");
    }

    private async Task<bool> TryAcquireAsync(LatchkeyFactory node, string job)
    {
        await using var scope = node.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<JobLeases>().TryAcquireAsync(job, Ttl, Ct);
    }
}

[Collection(SqliteCollection.Name)]
public sealed class JobLeaseTests_Sqlite(SqliteServer server) : JobLeaseTests(server);

[Collection(PostgresCollection.Name)]
public sealed class JobLeaseTests_Postgres(PostgresServer server) : JobLeaseTests(server);
