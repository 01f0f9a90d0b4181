using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Latchkey.Server.Infrastructure.Http;

/// <summary>
/// How request bodies are read: ASP.NET's web defaults, minus two leniencies. A number must be a
/// JSON number (the defaults also take <c>"30"</c>), and a key may appear once per object (the
/// defaults let the last one win, so a proxy that reads the first sees another request).
/// </summary>
public static class StrictJson
{
    public static void Apply(JsonSerializerOptions options)
    {
        options.NumberHandling = JsonNumberHandling.Strict;
        options.AllowDuplicateProperties = false;
        options.Converters.Add(new JsonObjectConverter());
    }

    /// <summary>The OpenAPI schema of a free-form object stays "an object": the exporter cannot look into a custom converter.</summary>
    public static Task DescribeAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken ct)
    {
        if (context.JsonTypeInfo.Type == typeof(JsonObject))
        {
            schema.Type = JsonSchemaType.Object;
        }
        return Task.CompletedTask;
    }

    /// <summary>
    /// Free-form objects (metadata, preferences, settings) with the duplicate check. Note: the
    /// built-in JsonObject converter of .NET 10.0.x throws ArgumentException instead of
    /// JsonException on a repeated key (dotnet/runtime#123882), which would be a 500; a
    /// JsonElement read checks the whole value and fails the way every other type does.
    /// </summary>
    private sealed class JsonObjectConverter : JsonConverter<JsonObject>
    {
        public override JsonObject? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            JsonElement element;
            try
            {
                element = JsonSerializer.Deserialize<JsonElement>(ref reader, options);
            }
            catch (JsonException)
            {
                // Note: a fresh exception, so that the serializer stamps it with this value's path.
                throw new JsonException();
            }
            // Note: keys stay case-sensitive: they are the client's own names, and "a" and "A" are two.
            return element.ValueKind == JsonValueKind.Object ? JsonObject.Create(element) : throw new JsonException();
        }

        public override void Write(Utf8JsonWriter writer, JsonObject value, JsonSerializerOptions options) => value.WriteTo(writer, options);
    }
}
