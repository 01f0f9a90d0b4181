using Latchkey.Server.Infrastructure.Crypto;
using Latchkey.Server.Infrastructure.KeyStore;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;

namespace Latchkey.Server.Features.AdminConsole;

/// <summary>
/// The admin console (MISSION U3): Razor Pages under <c>/console</c>, served by the same process
/// as the API, signed in with a cookie of its own (<see cref="ConsoleAuthentication"/>). It
/// needs no front-end build and no script.
/// </summary>
/// <remarks>
/// Note: the namespace is AdminConsole, not Console, so that <c>Console.WriteLine</c> keeps
/// meaning System.Console everywhere under Latchkey.Server.Features.
/// </remarks>
public static class ConsoleExtensions
{
    public static WebApplicationBuilder AddConsole(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddRazorPages(o =>
        {
            o.RootDirectory = "/Features/Console/Pages";
            o.Conventions.AuthorizeFolder("/", ConsoleAuthentication.Policy);
            o.Conventions.AllowAnonymousToPage("/Login");
        }).AddMvcOptions(o => o.Filters.Add<ConsoleProblemFilter>());
        services.AddAuthentication().AddConsoleCookie();
        services.AddScoped<ConsoleAccess>();
        services.AddScoped<ConsoleSignIn>();
        services.AddScoped<AdminApi>();
        services.AddScoped<Dashboard.DashboardStats>();
        services.AddScoped<AuditNames>();

        // Note: cookies and forms are sealed with Data Protection keys kept in the key store, each
        // sealed with the master key, so every node on the databases reads every node's cookies.
        // The first key is made at start by one node at a time (KeyStoreSetup).
        services.AddDataProtection().SetApplicationName("Latchkey").PersistKeysToDbContext<KeyStoreDbContext>();
        services.AddOptions<KeyManagementOptions>().Configure<MasterKey>((o, master) => o.XmlEncryptor = new MasterKeyXmlEncryptor(master));
        return builder;
    }

    public static WebApplication MapConsole(this WebApplication app)
    {
        app.UseWhen(context => context.Request.Path.StartsWithSegments("/console"), console => console.Use((context, next) =>
        {
            context.Response.OnStarting(() =>
            {
                var headers = context.Response.Headers;
                headers.ContentSecurityPolicy = "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";
                headers.XContentTypeOptions = "nosniff";
                headers["Referrer-Policy"] = "same-origin";
                if (!context.Request.Path.StartsWithSegments(ConsoleStyles.Path))
                {
                    headers.CacheControl = "no-store";
                }
                return Task.CompletedTask;
            });
            return next(context);
        }));
        app.MapGet(ConsoleStyles.Path, ConsoleStyles.Serve).ExcludeFromDescription();
        app.MapRazorPages();
        return app;
    }
}
