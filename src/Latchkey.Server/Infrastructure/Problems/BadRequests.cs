using System.Text.Json;
using System.Text.RegularExpressions;

namespace Latchkey.Server.Infrastructure.Problems;

/// <summary>
/// The exceptions that reading a request throws (a body that is not JSON, JSON of the wrong
/// shape, a form that does not parse, a query value of the wrong type, a body that is too large)
/// as the problem a client sees. Their messages name C# types and parser positions, so the
/// detail is written here, and the field, where there is one, goes to <c>errors</c>.
/// </summary>
public static partial class BadRequests
{
    /// <summary>The problem for a failed read, or null when the exception is not one.</summary>
    public static ProblemException? Describe(Exception exception) => exception switch
    {
        BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } =>
            new ProblemException(StatusCodes.Status413PayloadTooLarge, "payload_too_large", "The request body is too large."),
        BadHttpRequestException { StatusCode: StatusCodes.Status415UnsupportedMediaType } => UnsupportedMediaType(),
        BadHttpRequestException { InnerException: JsonException json } => Json(json),
        BadHttpRequestException { InnerException: InvalidDataException } => UnreadableForm(),
        BadHttpRequestException { StatusCode: StatusCodes.Status400BadRequest } bad => Parameter(bad.Message),
        BadHttpRequestException bad => new ProblemException(bad.StatusCode, ProblemTitles.CodeFor(bad.StatusCode), ProblemTitles.For(bad.StatusCode) + "."),
        // Endpoints that read the body themselves (a form that is optional, a multipart body without boundary).
        JsonException json => Json(json),
        InvalidDataException => UnreadableForm(),
        _ => null,
    };

    public static ProblemException UnsupportedMediaType() =>
        new(StatusCodes.Status415UnsupportedMediaType, "unsupported_media_type",
            "This endpoint does not take a body of this content type; the OpenAPI document names the one it takes.");

    public static ProblemException UnreadableForm() => Problems.InvalidRequest("The request body is not a readable form.");

    private static ProblemException Json(JsonException json)
    {
        // Note: a syntax error comes from the reader (an internal JsonReaderException); its path
        // is where the text broke off, not a field that is wrong.
        var syntax = json.InnerException?.GetType().Name == "JsonReaderException";
        var field = FieldOf(json.Path);
        if (syntax || field is null)
        {
            return Problems.InvalidRequest(syntax
                ? "The request body is not valid JSON."
                : "The request body is not the JSON object this endpoint takes: check the types (numbers unquoted) and that no key repeats.");
        }
        return Problems.InvalidRequest("Some fields are not valid; see errors.", new Dictionary<string, string[]>
        {
            [field] = [$"'{field}' has the wrong type or appears more than once (numbers are not quoted)."],
        });
    }

    /// <summary><c>$.device.Name</c> as the key of <c>errors</c>: <c>device.name</c>; null for the whole body.</summary>
    private static string? FieldOf(string? path)
    {
        if (path is null || !path.StartsWith("$.", StringComparison.Ordinal) && !path.StartsWith("$[", StringComparison.Ordinal))
        {
            return null;
        }
        var field = path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path[1..];
        return string.Join('.', field.Split('.').Select(JsonNamingPolicy.CamelCase.ConvertName));
    }

    /// <summary>
    /// Route, query and header values that do not bind (a <c>wait</c> that is not a number, a
    /// missing body). The framework's message names the C# parameter and its type; only the
    /// name is kept, and only for values that come from the query or the route.
    /// </summary>
    private static ProblemException Parameter(string message)
    {
        var required = message.StartsWith("Required", StringComparison.Ordinal);
        if (message.StartsWith("Unexpected request without body", StringComparison.Ordinal)
            || message.StartsWith("Implicit body", StringComparison.Ordinal) || required && message.EndsWith("from body.", StringComparison.Ordinal))
        {
            return Problems.InvalidRequest("The request has no body, and this endpoint needs one; the OpenAPI document describes it.");
        }
        if (ParameterName().Match(message) is { Success: true } match)
        {
            var name = JsonNamingPolicy.CamelCase.ConvertName(match.Groups["name"].Value);
            var text = required ? $"'{name}' is required." : $"'{name}' is not a valid value.";
            return Problems.InvalidField(name, text);
        }
        return Problems.InvalidRequest("The request is not valid for this endpoint.");
    }

    [GeneratedRegex("""^(?:Failed to bind|Required) parameter "(?:[^"]* )?(?<name>[A-Za-z_][A-Za-z0-9_]*)" """)]
    private static partial Regex ParameterName();
}
