using Latchkey.Server.Features.Delivery;
using Latchkey.Server.Infrastructure.Persistence;
using Latchkey.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Latchkey.Tests.Features.Delivery;

/// <summary>
/// Helpers of the delivery tests: nodes on the shared test database with other delivery settings
/// (they share its clock), queueing a message the way a feature does, and reading its row.
/// </summary>
public abstract class DeliveryTest(ServerFixture fixture) : ApiTest(fixture), IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _nodes = [];

    /// <summary>smtp mode towards a port where nothing listens: for tests about SMS only.</summary>
    protected static Dictionary<string, string?> SmtpSettings(int port = 9) => new()
    {
        ["Latchkey:Delivery:Mode"] = "smtp",
        ["Latchkey:Delivery:Smtp:Host"] = "127.0.0.1",
        ["Latchkey:Delivery:Smtp:Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Latchkey:Delivery:Smtp:Security"] = "none",
        ["Latchkey:Delivery:Smtp:From"] = "Latchkey <no-reply@latchkey.test>",
        ["Latchkey:Delivery:Smtp:Timeout"] = "00:00:10",
        ["Latchkey:Delivery:PollInterval"] = "00:00:00.2",
    };

    /// <summary>Another node on the test database (and clock) with these settings; its worker runs.</summary>
    protected WebApplicationFactory<Program> Node(Dictionary<string, string?> settings, CapturedLogs? logs = null)
    {
        if (logs is not null)
        {
            settings["Logging:LogLevel:Default"] = "Debug";
        }
        var sibling = Factory.Sibling(settings);
        _nodes.Add(sibling);
        if (logs is null)
        {
            return sibling;
        }
        var logged = sibling.WithWebHostBuilder(b => b.ConfigureServices(s => s.AddSingleton<ILoggerProvider>(logs)));
        _nodes.Add(logged);
        return logged;
    }

    /// <summary>Queues a message on a node as a feature does (added to its unit of work, then saved); returns its id.</summary>
    protected async Task<Guid> QueueAsync(WebApplicationFactory<Program> node, string appId, OutgoingMessage message)
    {
        await using var scope = node.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LatchkeyDbContext>();
        var app = await db.Apps.SingleAsync(a => a.Id == appId, Ct);
        db.TenantAppId = appId;
        await scope.ServiceProvider.GetRequiredService<MessageQueue>().QueueAsync(app, message, Ct);
        var id = db.ChangeTracker.Entries<Message>().Single(e => e.State == EntityState.Added).Entity.Id;
        await db.SaveChangesAsync(Ct);
        return id;
    }

    protected async Task<Message> RowAsync(Guid id)
    {
        await using var scope = Factory.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<LatchkeyDbContext>().Messages.AsNoTracking().IgnoreQueryFilters().SingleAsync(m => m.Id == id, Ct);
    }

    /// <summary>Waits (real time, up to 20 s) until the message's row satisfies <paramref name="done"/>.</summary>
    protected async Task<Message> WaitForRowAsync(Guid id, Func<Message, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var row = await RowAsync(id);
            if (done(row))
            {
                return row;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Message {id} stayed {row.Status} (attempts {row.Attempts}, last error {row.LastError}).");
            }
            await Task.Delay(100, Ct);
        }
    }

    /// <summary>PostgreSQL keeps microseconds, .NET ticks: equal to the microsecond is the same instant.</summary>
    protected static void AssertSameInstant(DateTime expected, DateTime? actual)
    {
        Assert.NotNull(actual);
        Assert.True(Math.Abs((expected - actual.Value).Ticks) < 10, $"Expected {expected:O}, got {actual:O}.");
    }

    protected async Task<string> PatchAppAsync(string appId, object body)
    {
        var token = await AdminTokenAsync();
        await OkJsonAsync(await PatchAsync($"/v1/admin/apps/{appId}", body, token));
        return token;
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = _nodes.Count - 1; i >= 0; i--)
        {
            await _nodes[i].DisposeAsync();
        }
        GC.SuppressFinalize(this);
    }
}
