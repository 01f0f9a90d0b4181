using System.Text.RegularExpressions;
using Latchkey.Server.Infrastructure.Http;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Latchkey.Server.Features.Operations;

/// <summary>
/// The whole OpenAPI document: its description, the public URL as its one server, the security
/// schemes that <see cref="ApiOperations"/> refers to, the tags' descriptions, and the path
/// parameters that a route group declares for its endpoints (<c>{appId}</c>), which the
/// generator leaves out where the handler does not bind them itself.
/// </summary>
public sealed partial class ApiDocument(PublicUrl publicUrl) : IOpenApiDocumentTransformer
{
    public const string BearerScheme = "bearer";
    public const string ServerKeyScheme = "serverKey";

    private static readonly Dictionary<string, string> TagDescriptions = new()
    {
        ["App"] = "What an app's clients call before anyone is signed in: sign-up, sign-in, recovery, invitations, the app's public keys; " +
            "and what the app's own servers call with an app server key.",
        ["Signed-in user"] = "What a signed-in user does with a bearer access token of the app: the profile, sessions, second factors, passkeys and the PIN.",
        ["Admin"] = "The admin API: a bearer access token of the console app, from a super admin or an admin of the app.",
        ["Setup"] = "The first start: creating the first super admin with the token the server printed.",
    };

    private static readonly Dictionary<string, string> ParameterDescriptions = new()
    {
        ["appId"] = "The app's id (the admin console's own app is `console`).",
    };

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info.Title = "Latchkey";
        document.Info.Description = "Authentication and user management for mobile apps. " +
            "Errors are application/problem+json (RFC 9457) with a stable `code`; the reference page is at /docs.";
        document.Servers = [new OpenApiServer { Url = ServerUrl(document) }];

        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            BearerFormat = "JWT",
            Description = "An access token of the app, from a sign-in. The admin API takes an access token of the console app.",
        };
        document.Components.SecuritySchemes[ServerKeyScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "basic",
            Description = "An app server key, for the app's own servers: the key id as the user name, its secret as the password.",
        };

        foreach (var tag in document.Tags ?? Enumerable.Empty<OpenApiTag>())
        {
            if (tag.Name is { } name && TagDescriptions.TryGetValue(name, out var description))
            {
                tag.Description = description;
            }
        }

        foreach (var (path, item) in document.Paths)
        {
            foreach (var operation in item.Operations?.Values ?? Enumerable.Empty<OpenApiOperation>())
            {
                DeclarePathParameters(path, operation);
            }
        }
        return Task.CompletedTask;
    }

    /// <summary>LATCHKEY_PUBLIC_URL or the listening address (never a request's Host), without a trailing slash.</summary>
    private string ServerUrl(OpenApiDocument document)
    {
        try
        {
            return publicUrl.Value;
        }
        catch (PublicUrlException)
        {
            return document.Servers?.FirstOrDefault()?.Url?.TrimEnd('/') is { Length: > 0 } url ? url : "/";
        }
    }

    private static void DeclarePathParameters(string path, OpenApiOperation operation)
    {
        operation.Parameters ??= [];
        foreach (Match match in PathParameter().Matches(path))
        {
            var name = match.Groups["name"].Value;
            if (operation.Parameters.Any(p => p.In == ParameterLocation.Path && p.Name == name))
            {
                continue;
            }
            operation.Parameters.Insert(0, new OpenApiParameter
            {
                Name = name,
                In = ParameterLocation.Path,
                Required = true,
                Description = ParameterDescriptions.GetValueOrDefault(name),
                Schema = new OpenApiSchema { Type = JsonSchemaType.String },
            });
        }
    }

    [GeneratedRegex(@"\{(?<name>[A-Za-z0-9_]+)\}")]
    private static partial Regex PathParameter();
}
