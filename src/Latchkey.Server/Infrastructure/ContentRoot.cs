namespace Latchkey.Server.Infrastructure;

/// <summary>
/// Where the server reads appsettings.json from. ASP.NET takes the working directory, which is
/// right for <c>dotnet run</c> (the project folder) and for a start inside the output folder;
/// started from anywhere else (<c>dotnet /opt/latchkey/Latchkey.Server.dll</c>, a service
/// unit without a working directory) it would silently run without the file's settings, among
/// them the log levels that keep request URLs out of the log. Then the application's folder is
/// the content root. Relative data paths (LATCHKEY_DATABASE, LATCHKEY_KEYS_DIR) still resolve
/// against the working directory, as before.
/// </summary>
public static class ContentRoot
{
    public const string SettingsFile = "appsettings.json";

    public static WebApplicationOptions Options(string[] args) => new() { Args = args, ContentRootPath = Choose(args) };

    private static string? Choose(string[] args)
    {
        var explicitRoot = new ConfigurationBuilder().AddCommandLine(args).Build()["contentRoot"]
            ?? Environment.GetEnvironmentVariable("ASPNETCORE_CONTENTROOT")
            ?? Environment.GetEnvironmentVariable("DOTNET_CONTENTROOT");
        if (explicitRoot is not null || File.Exists(Path.Combine(Directory.GetCurrentDirectory(), SettingsFile)))
        {
            return null;
        }
        return AppContext.BaseDirectory;
    }
}
