using System.Security.Cryptography;
using Microsoft.Net.Http.Headers;

namespace Latchkey.Server.Infrastructure.Http;

/// <summary>A JSON document serialised once, with the strong ETag of its bytes.</summary>
public sealed class CachedJson
{
    public CachedJson(byte[] body)
    {
        Body = body;
        ETag = new EntityTagHeaderValue($"\"{Convert.ToBase64String(SHA256.HashData(body).AsSpan(0, 16)).TrimEnd('=')}\"");
    }

    public byte[] Body { get; }
    public EntityTagHeaderValue ETag { get; }

    /// <summary>
    /// The document with its ETag and <paramref name="cacheControl"/>, or 304 Not Modified when the
    /// request's If-None-Match names it (RFC 9110 13.1.2: weak comparison, <c>*</c> matches).
    /// </summary>
    public IResult Answer(HttpContext http, string cacheControl)
    {
        var headers = http.Response.Headers;
        headers.ETag = ETag.ToString();
        headers.CacheControl = cacheControl;
        if (Matches(http.Request.Headers.IfNoneMatch))
        {
            return Results.StatusCode(StatusCodes.Status304NotModified);
        }
        return Results.Bytes(Body, "application/json");
    }

    private bool Matches(Microsoft.Extensions.Primitives.StringValues ifNoneMatch)
    {
        if (ifNoneMatch.Count == 0 || !EntityTagHeaderValue.TryParseList(ifNoneMatch, out var tags))
        {
            return false;
        }
        foreach (var tag in tags)
        {
            if (tag.Equals(EntityTagHeaderValue.Any) || tag.Compare(ETag, useStrongComparison: false))
            {
                return true;
            }
        }
        return false;
    }
}
