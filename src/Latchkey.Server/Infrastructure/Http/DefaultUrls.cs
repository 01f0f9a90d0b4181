namespace Latchkey.Server.Infrastructure.Http;

/// <summary>Where the server listens when nothing says: <c>http://localhost:8080</c> (docs/api.md "Running it").</summary>
public static class DefaultUrls
{
    public const string Default = "http://localhost:8080";

    /// <summary>
    /// Note: ASP.NET's own default is port 5000; --urls, ASPNETCORE_URLS, ASPNETCORE_HTTP(S)_PORTS
    /// and Kestrel endpoints in the configuration all still win over this.
    /// </summary>
    public static WebApplicationBuilder ListenOnDefaultUrl(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        if (string.IsNullOrEmpty(configuration[WebHostDefaults.ServerUrlsKey])
            && string.IsNullOrEmpty(configuration[WebHostDefaults.HttpPortsKey])
            && string.IsNullOrEmpty(configuration[WebHostDefaults.HttpsPortsKey])
            && !configuration.GetSection("Kestrel:Endpoints").Exists())
        {
            builder.WebHost.UseUrls(Default);
        }
        return builder;
    }
}
