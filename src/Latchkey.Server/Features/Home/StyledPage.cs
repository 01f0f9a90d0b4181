using Latchkey.Server.Features.AdminConsole;
using Latchkey.Server.Infrastructure.Http;

namespace Latchkey.Server.Features.Home;

/// <summary>
/// A page outside the console that looks like it (the home page, the setup page): the console's
/// style sheet and header, no script. The pages may carry a one-time token in their URL, so they
/// send no referrer, are never cached and never framed.
/// </summary>
public static class StyledPage
{
    public static IResult Render(string title, string bodyHtml, int status = StatusCodes.Status200OK) =>
        new Page(Results.Content($$"""
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="referrer" content="no-referrer">
            <title>{{HtmlPages.Encode(title)}} · Latchkey</title>
            <link rel="stylesheet" href="{{ConsoleStyles.Href}}">
            </head>
            <body>
            <header class="site-header"><a class="brand" href="/">Latchkey</a><a href="/console">Admin console</a></header>
            <main id="main">
            <h1>{{HtmlPages.Encode(title)}}</h1>
            {{bodyHtml}}
            </main>
            </body>
            </html>
            """, "text/html; charset=utf-8", System.Text.Encoding.UTF8, status));

    private sealed class Page(IResult inner) : IResult
    {
        public Task ExecuteAsync(HttpContext context)
        {
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
            headers.XFrameOptions = "DENY";
            headers.XContentTypeOptions = "nosniff";
            headers.CacheControl = "no-store";
            headers["Referrer-Policy"] = "no-referrer";
            return inner.ExecuteAsync(context);
        }
    }
}
