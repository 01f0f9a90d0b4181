using System.Security.Cryptography;

namespace Latchkey.Server.Features.AdminConsole;

/// <summary>
/// The console's one style sheet, embedded in the assembly so it is there however the server
/// runs (dotnet run, the test host, a published build). Its URL carries a hash of its content,
/// so browsers may keep it for good.
/// </summary>
public static class ConsoleStyles
{
    public const string Path = "/console/console.css";

    private static readonly byte[] Content = Load();
    private static readonly string Version = Convert.ToHexStringLower(SHA256.HashData(Content))[..16];

    /// <summary>The URL the layout links to.</summary>
    public static string Href => $"{Path}?v={Version}";

    public static IResult Serve(HttpContext context)
    {
        context.Response.Headers.CacheControl = "public, max-age=31536000, immutable";
        context.Response.Headers.ETag = $"\"{Version}\"";
        return Results.Bytes(Content, "text/css; charset=utf-8");
    }

    private static byte[] Load()
    {
        using var stream = typeof(ConsoleStyles).Assembly.GetManifestResourceStream("console.css")
            ?? throw new InvalidOperationException("The console style sheet is not embedded in the server assembly.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
