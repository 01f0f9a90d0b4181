using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Latchkey.Tests.Features.Delivery;

/// <summary>
/// A small HTTP server on 127.0.0.1 standing in for an SMS provider: it records every request
/// (raw body included) and answers what the test's responder says.
/// </summary>
public sealed class RecordingHttpServer : IAsyncDisposable
{
    public sealed record Request(string Method, string Path, IReadOnlyDictionary<string, string> Headers, byte[] Body)
    {
        public string BodyText => System.Text.Encoding.UTF8.GetString(Body);
    }

    public sealed record Answer(int Status, string? Json = null, TimeSpan Delay = default);

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<Request> _requests = new();

    private RecordingHttpServer(WebApplication app) => _app = app;

    public Uri BaseAddress { get; private set; } = null!;

    public IReadOnlyList<Request> Requests => _requests.ToArray();

    /// <param name="respond">Gets the request and its number (1 for the first); says what to answer.</param>
    public static async Task<RecordingHttpServer> StartAsync(Func<Request, int, Answer> respond)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new RecordingHttpServer(app);
        var count = 0;
        app.Run(async context =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            var request = new Request(context.Request.Method, context.Request.Path.Value ?? "",
                context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase), body.ToArray());
            server._requests.Enqueue(request);
            var answer = respond(request, Interlocked.Increment(ref count));
            if (answer.Delay > TimeSpan.Zero)
            {
                await Task.Delay(answer.Delay);
            }
            context.Response.StatusCode = answer.Status;
            if (answer.Json is not null)
            {
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync(answer.Json);
            }
        });
        await app.StartAsync();
        server.BaseAddress = new Uri(app.Urls.First());
        return server;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
