// Latchkey.Ceiling: what this machine allows for the work a Latchkey request cannot avoid, through
// the same HTTP stack. Started by Latchkey.Bench (never by hand), configured by environment:
//   CEILING_JWKS_FILE (+ CEILING_JWKS_CONTENT_TYPE, _CACHE_CONTROL, _ETAG)  bytes for GET /jwks
//   CEILING_DB_KIND (sqlite|postgres), CEILING_DB, CEILING_APP_ID           the raw refresh write
//   CEILING_ARGON2_MEMORY_KIB, CEILING_ARGON2_ITERATIONS                    the hash for POST /hash
using Latchkey.Ceiling;

var builder = WebApplication.CreateSlimBuilder(args);
// Note: logging off entirely, so the ceiling measures requests and not console output.
builder.Logging.ClearProviders();
var settings = CeilingSettings.FromEnvironment();

var jwks = await JwksDocument.LoadAsync(settings);
await using var refreshes = await RawRefreshWrite.OpenAsync(settings, CancellationToken.None);
using var hasher = new DedicatedHasher(settings.Argon2MemoryKiB, settings.Argon2Iterations, Environment.ProcessorCount);

var app = builder.Build();
app.MapGet("/healthz", () => "ok");
app.MapGet("/jwks", jwks.WriteAsync);
app.MapPost("/refresh", refreshes.HandleAsync);
app.MapPost("/hash", hasher.HandleAsync);
app.Run();
