namespace Latchkey.Server.Infrastructure.Http;

/// <summary>
/// HSTS (RFC 6797) on every response when the public URL is https, none when it is http.
/// Note: not ASP.NET's UseHsts, which answers only requests that arrived over TLS and never for
/// localhost: behind a TLS-terminating proxy every request arrives over plain http, and the
/// header is the public URL's promise, not the hop's. Without includeSubDomains: the public
/// host may be an apex whose other subdomains are not this server's to decide.
/// </summary>
public static class StrictTransportSecurity
{
    public const string Value = "max-age=31536000";

    public static WebApplication UseStrictTransportSecurity(this WebApplication app)
    {
        var publicUrl = app.Services.GetRequiredService<PublicUrl>();
        app.Use((context, next) =>
        {
            if (publicUrl.IsHttps)
            {
                // Note: set as the headers go out, so that an error page (which clears the headers) carries it too.
                context.Response.OnStarting(() =>
                {
                    context.Response.Headers.StrictTransportSecurity = Value;
                    return Task.CompletedTask;
                });
            }
            return next(context);
        });
        return app;
    }
}
