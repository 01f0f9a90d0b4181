using Latchkey.Server.Infrastructure.Problems;

namespace Latchkey.Server.Infrastructure.Http;

/// <summary>
/// For endpoints where a form is optional (the sign-up link also confirms with the token in the
/// query and no body). Where a form is required, an <see cref="IFormCollection"/> parameter lets
/// the framework check the content type and the parse.
/// </summary>
public static class RequestForms
{
    /// <summary>The request's form, null when the body is not one; 400 when it claims to be one and does not parse.</summary>
    public static async Task<IFormCollection?> ReadIfAnyAsync(HttpRequest request, CancellationToken ct)
    {
        if (!request.HasFormContentType)
        {
            return null;
        }
        try
        {
            return await request.ReadFormAsync(ct);
        }
        catch (Exception e) when (e is InvalidDataException or IOException && !ct.IsCancellationRequested)
        {
            // Note: a multipart body without its boundary or cut short; a client that went away is not one.
            throw BadRequests.UnreadableForm();
        }
    }
}
