using System.Text.Encodings.Web;

namespace Latchkey.Server.Infrastructure.Http;

/// <summary>
/// The few pages a person opens from a message (confirm an email, choose a new password):
/// plain, self-contained HTML that reads well on a phone, with no script.
/// </summary>
public static class HtmlPages
{
    public static string Encode(string? text) => HtmlEncoder.Default.Encode(text ?? "");

    public static IResult Page(string title, string bodyHtml, int status = StatusCodes.Status200OK) =>
        new FramedPage(Results.Content($$"""
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="referrer" content="no-referrer">
            <title>{{Encode(title)}}</title>
            <style>
            body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;line-height:1.5;color:#1b1b1f}
            button,input{font:inherit;padding:.6rem .8rem;border-radius:.4rem;width:100%;box-sizing:border-box;margin:.4rem 0}
            button{background:#1b4dd8;color:#fff;border:0;cursor:pointer}
            button.secondary{background:#fff;color:#1b4dd8;border:1px solid #1b4dd8}
            button.link{background:none;color:#1b4dd8;padding:.2rem 0;width:auto;text-decoration:underline}
            label{display:block;margin-top:.8rem}
            .error{color:#a4141b}
            </style>
            </head>
            <body>
            <main>
            <h1>{{Encode(title)}}</h1>
            {{bodyHtml}}
            </main>
            </body>
            </html>
            """, "text/html; charset=utf-8", System.Text.Encoding.UTF8, status));

    /// <summary>These pages confirm addresses and take passwords: never inside another site's frame, no scripts.</summary>
    private sealed class FramedPage(IResult inner) : IResult
    {
        public Task ExecuteAsync(HttpContext context)
        {
            context.Response.Headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
            context.Response.Headers.XFrameOptions = "DENY";
            context.Response.Headers.CacheControl = "no-store";
            return inner.ExecuteAsync(context);
        }
    }

    public static IResult Problem(Problems.ProblemException problem) =>
        Page("This link cannot be used", $"<p class=\"error\" role=\"alert\">{Encode(problem.Message)}</p>", problem.Status);
}
