namespace Latchkey.Ceiling;

/// <summary>The server's JWKS answer, byte for byte and with its caching headers, served from memory.</summary>
public sealed class JwksDocument(byte[] body, string contentType, string? cacheControl, string? etag)
{
    public static async Task<JwksDocument> LoadAsync(CeilingSettings settings) =>
        new(await File.ReadAllBytesAsync(settings.JwksFile), settings.JwksContentType, settings.JwksCacheControl, settings.JwksETag);

    public Task WriteAsync(HttpContext http)
    {
        var response = http.Response;
        response.ContentType = contentType;
        response.ContentLength = body.Length;
        if (cacheControl is not null)
        {
            response.Headers.CacheControl = cacheControl;
        }
        if (etag is not null)
        {
            response.Headers.ETag = etag;
        }
        return response.Body.WriteAsync(body).AsTask();
    }
}
