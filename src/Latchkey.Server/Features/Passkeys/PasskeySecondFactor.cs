using System.Text.Json;
using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.Challenges;
using Latchkey.Server.Features.Mfa;
using Latchkey.Server.Features.Users;

namespace Latchkey.Server.Features.Passkeys;

/// <summary>
/// A passkey as the second factor at POST /login/mfa: <c>assertion</c> is the credential JSON
/// (<c>PublicKeyCredential.toJSON()</c>) answering the options of POST /login/mfa/passkey/options
/// for the same mfaToken.
/// </summary>
public sealed class PasskeySecondFactor(PasskeyService passkeys) : ISecondFactor
{
    public string Method => MfaMethods.Passkey;

    public IQueryable<string> Enrolment(App app, User user) => passkeys.Of(app, user.Id).Select(_ => MfaMethods.Passkey);

    public async Task VerifyAsync(App app, User user, Challenge mfaChallenge, string? code, JsonElement? assertion, CancellationToken ct)
    {
        PasskeyCredentialJson? credential = null;
        if (assertion is { ValueKind: JsonValueKind.Object } json)
        {
            try
            {
                credential = json.Deserialize<PasskeyCredentialJson>(JsonSerializerOptions.Web);
            }
            catch (JsonException)
            {
                // Left null: the verifier answers it as malformed, and the refusal is recorded.
            }
        }
        await passkeys.VerifySecondFactorAsync(app, user, mfaChallenge.Id, credential, ct);
    }
}
