using System.Text;
using Latchkey.Server.Features.Auth;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Latchkey.Server.Features.Operations;

/// <summary>
/// Each operation of the OpenAPI document: an <c>operationId</c> (the endpoint's name where it
/// has one, else its method and route, e.g. <c>POST /v1/apps/{appId}/login</c> → <c>postLogin</c>,
/// so it changes only when the route does) and the credentials it takes (<see cref="AcceptedCredentials"/>;
/// an empty list marks a public endpoint).
/// </summary>
public sealed class ApiOperations : IOpenApiOperationTransformer
{
    private const string AppPrefix = "v1/apps/{appId}/";

    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var description = context.Description;
        var metadata = description.ActionDescriptor.EndpointMetadata;
        operation.OperationId ??= metadata.OfType<IEndpointNameMetadata>().LastOrDefault()?.EndpointName
            ?? OperationId(description.HttpMethod ?? "get", description.RelativePath ?? "");

        var credentials = metadata.OfType<AcceptedCredentials>().LastOrDefault()?.Credentials
            ?? (metadata.OfType<IAuthorizeData>().Any() && !metadata.OfType<IAllowAnonymous>().Any() ? [ApiCredential.Bearer] : []);
        operation.Security = credentials.Select(c => new OpenApiSecurityRequirement
        {
            [new OpenApiSecuritySchemeReference(SchemeOf(c), context.Document)] = [],
        }).ToList();
        return Task.CompletedTask;
    }

    private static string SchemeOf(ApiCredential credential) => credential switch
    {
        ApiCredential.Bearer => ApiDocument.BearerScheme,
        ApiCredential.ServerKey => ApiDocument.ServerKeyScheme,
        _ => throw new ArgumentOutOfRangeException(nameof(credential), credential, null),
    };

    /// <summary>
    /// <c>DELETE v1/apps/{appId}/me/sessions/{sessionId:guid}</c> → <c>deleteMeSessionsBySessionId</c>;
    /// <c>GET v1/admin/apps/{appId}/users</c> → <c>getAdminAppsByAppIdUsers</c>.
    /// </summary>
    internal static string OperationId(string method, string route)
    {
        var path = route.TrimStart('/');
        path = path.StartsWith(AppPrefix, StringComparison.Ordinal) ? path[AppPrefix.Length..]
            : path.StartsWith("v1/", StringComparison.Ordinal) ? path[3..] : path;
        var id = new StringBuilder(method.ToLowerInvariant());
        foreach (var segment in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (segment.StartsWith('{'))
            {
                id.Append("By");
                AppendWords(id, segment.Trim('{', '}').Split(':', '=', '?')[0]);
            }
            else
            {
                AppendWords(id, segment);
            }
        }
        return id.ToString();
    }

    /// <summary>"recovery-codes" → "RecoveryCodes", ".well-known" → "WellKnown", "jwks.json" → "JwksJson".</summary>
    private static void AppendWords(StringBuilder id, string text)
    {
        foreach (var word in text.Split(['-', '.', '_'], StringSplitOptions.RemoveEmptyEntries))
        {
            id.Append(char.ToUpperInvariant(word[0])).Append(word.AsSpan(1));
        }
    }
}
