namespace Latchkey.Server.Features.Auth;

/// <summary>What a caller can present to an endpoint; the OpenAPI document's security schemes are named after these.</summary>
public enum ApiCredential
{
    /// <summary>An access token of the app (Authorization: Bearer); for the admin API, one of the console app.</summary>
    Bearer,

    /// <summary>An app server key over HTTP Basic (key id : secret), for the app's own servers.</summary>
    ServerKey,
}

/// <summary>
/// Endpoint metadata: the credentials an endpoint takes when it checks them itself rather than
/// through <c>RequireAuthorization</c> (any one of them will do). Without it, an endpoint that
/// requires authorization takes a bearer token, and any other is public.
/// </summary>
public sealed record AcceptedCredentials(IReadOnlyList<ApiCredential> Credentials);

public static class ApiCredentialExtensions
{
    public static TBuilder Accepts<TBuilder>(this TBuilder builder, params ApiCredential[] credentials)
        where TBuilder : IEndpointConventionBuilder => builder.WithMetadata(new AcceptedCredentials(credentials));
}
