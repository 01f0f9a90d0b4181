using System.Text.Json;
using System.Text.Json.Nodes;
using Latchkey.Server.Infrastructure.Problems;

namespace Latchkey.Server.Infrastructure.Http;

/// <summary>Bounds on free-form JSON that clients may attach (metadata, preferences).</summary>
public static class JsonLimits
{
    public const int MaxObjectBytes = 16 * 1024;

    public static void EnsureSmallObject(JsonObject? value, string field, int maxBytes = MaxObjectBytes)
    {
        if (value is not null && JsonSerializer.SerializeToUtf8Bytes(value).Length > maxBytes)
        {
            throw Problems.Problems.InvalidField(field, $"'{field}' must be at most {maxBytes / 1024} KiB of JSON.");
        }
    }
}
