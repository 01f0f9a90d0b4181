namespace Latchkey.Ceiling;

/// <summary>What the benchmark passes in; every value is required so a mistake fails at start.</summary>
public sealed record CeilingSettings(
    string JwksFile,
    string JwksContentType,
    string? JwksCacheControl,
    string? JwksETag,
    string DatabaseKind,
    string Database,
    string AppId,
    int Argon2MemoryKiB,
    int Argon2Iterations)
{
    public static CeilingSettings FromEnvironment() => new(
        Required("CEILING_JWKS_FILE"),
        Optional("CEILING_JWKS_CONTENT_TYPE") ?? "application/json",
        Optional("CEILING_JWKS_CACHE_CONTROL"),
        Optional("CEILING_JWKS_ETAG"),
        Required("CEILING_DB_KIND"),
        Required("CEILING_DB"),
        Required("CEILING_APP_ID"),
        int.Parse(Required("CEILING_ARGON2_MEMORY_KIB"), System.Globalization.CultureInfo.InvariantCulture),
        int.Parse(Required("CEILING_ARGON2_ITERATIONS"), System.Globalization.CultureInfo.InvariantCulture));

    private static string? Optional(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;

    private static string Required(string name) =>
        Optional(name) ?? throw new InvalidOperationException($"{name} is not set (Latchkey.Bench starts this process).");
}
