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
public sealed class LatchkeyFactory(TestDatabase database, IReadOnlyDictionary<string, string?>? settings = null, FakeTimeProvider? clock = null)
    : WebApplicationFactory<Program>
{
    public const string AdminEmail = "root@latchkey.test";
    public const string AdminPassword = "tests run on a real server";
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
    }

    /// <summary>Another server on the same database, keys and clock, e.g. with other password settings.</summary>
    public LatchkeyFactory Sibling(IReadOnlyDictionary<string, string?> settings) => new(Database, settings, Clock);
}
