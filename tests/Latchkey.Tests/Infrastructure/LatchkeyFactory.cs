using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;

namespace Latchkey.Tests.Infrastructure;

/// <summary>
/// One in-process server on one test database, with a clock the tests move. The same server is
/// shared by all tests of a database's collection, so tests create their own apps and users.
/// </summary>
public sealed class LatchkeyFactory(
    TestDatabase database, IReadOnlyDictionary<string, string?>? settings = null, FakeTimeProvider? clock = null, Action<IServiceCollection>? extraServices = null)
    : WebApplicationFactory<Program>
{
    public const string AdminEmail = "root@latchkey.test";
    public const string AdminPassword = "tests run on a real server";
    public const string CheapHashMemoryKiB = "8192";
    public const string TolerantHashWaitMilliseconds = "60000";
    /// <summary>LATCHKEY_PUBLIC_URL of the in-process servers (the test client's own base address), unless settings name another.</summary>
    public const string PublicUrl = "http://localhost";

    public TestDatabase Database { get; } = database;
    public FakeTimeProvider Clock { get; } = clock ?? new(DateTimeOffset.UtcNow);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("Latchkey:Database", Database.ConnectionString);
        builder.UseSetting("Latchkey:KeysDir", Database.KeysDir);
        builder.UseSetting("Latchkey:AdminEmail", AdminEmail);
        builder.UseSetting("Latchkey:AdminPassword", AdminPassword);
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        // The cheapest Argon2id the options allow: tests that measure the cost set their own.
        builder.UseSetting("Latchkey:Passwords:MemoryKiB", CheapHashMemoryKiB);
        builder.UseSetting("Latchkey:Passwords:Iterations", "1");
        // A busy test machine makes every hash slow: bursts of parallel sign-ins are served, not
        // refused for the expected wait (HashingLimitTests sets its own bound).
        builder.UseSetting("Latchkey:Passwords:MaxQueueWaitMilliseconds", TolerantHashWaitMilliseconds);
        builder.UseSetting("Latchkey:PublicUrl", PublicUrl);
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            builder.UseSetting(key, value);
        }
        builder.ConfigureTestServices(services =>
        {
            services.RemoveAll<TimeProvider>();
            services.AddSingleton<TimeProvider>(Clock);
        });
        if (extraServices is not null)
        {
            builder.ConfigureTestServices(extraServices);
        }
    }

    /// <summary>Another server on the same database, keys and clock, e.g. with other password settings.</summary>
    public LatchkeyFactory Sibling(IReadOnlyDictionary<string, string?> settings) => new(Database, settings, Clock);

    /// <summary>Another server on the same database, keys and clock, with services of the test's own (e.g. a database interceptor).</summary>
    public LatchkeyFactory Sibling(Action<IServiceCollection> services) => new(Database, null, Clock, services);
}
