using Latchkey.Server.Features;
using Latchkey.Server.Features.AdminConsole;
using Latchkey.Server.Features.Oidc;
using Latchkey.Server.Features.Operations;
using Latchkey.Server.Features.Setup;
using Latchkey.Server.Infrastructure;
using Latchkey.Server.Infrastructure.Http;

var builder = WebApplication.CreateBuilder(ContentRoot.Options(args));
builder.Logging.AddFilter("Microsoft.EntityFrameworkCore", LogLevel.Warning);
// Note: the hosting layer's request lines carry the whole URL, query string included, and
// links carry their one-time tokens there (?token=…). The request log (LATCHKEY_REQUEST_LOG) is
// Latchkey's own line (method, route pattern, status, duration, app, request id; Operations/RequestLog), so these stay off at any log level.
builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Warning);
builder.AddLatchkeyInfrastructure().AddLatchkeyFeatures().AddOperations().AddConsole();

var app = builder.Build();
app.UseStrictTransportSecurity();
app.UseClientAddress();
app.UseRequestLog();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseOidcProvider();
app.UseAuthentication();
app.UseAuthorization();
app.MapOperations();
app.MapLatchkeyApi();
app.MapConsole();
return await app.RunLatchkeyAsync();

public partial class Program;
