using System.Buffers.Binary;
using System.Formats.Cbor;

namespace Latchkey.Server.Features.Passkeys;

/// <summary>The credential an authenticator created (WebAuthn §6.5.1, attested credential data).</summary>
public sealed record AttestedCredential(Guid Aaguid, byte[] CredentialId, byte[] PublicKeyCose);

/// <summary>
/// The authenticator data (WebAuthn §6.1): rpIdHash (32), flags (1), signCount (4, big-endian),
/// then the attested credential data (AT) and the extensions map (ED) when their flags say so.
/// </summary>
public sealed record AuthenticatorData(byte[] RpIdHash, byte Flags, uint SignCount, AttestedCredential? Credential)
{
    public const int MaxCredentialIdLength = 1023;

    public bool UserPresent => (Flags & 0x01) != 0;
    public bool UserVerified => (Flags & 0x04) != 0;
    public bool BackupEligible => (Flags & 0x08) != 0;
    public bool BackedUp => (Flags & 0x10) != 0;
    public bool HasAttestedCredential => (Flags & 0x40) != 0;

    public static AuthenticatorData Parse(ReadOnlyMemory<byte> data) => MalformedInput.Guard("authenticator data", () => ParseBytes(data));

    private static AuthenticatorData ParseBytes(ReadOnlyMemory<byte> data)
    {
        var span = data.Span;
        if (span.Length < 37)
        {
            throw Malformed($"{span.Length} bytes, fewer than the 37 every authenticator data has");
        }
        var flags = span[32];
        var signCount = BinaryPrimitives.ReadUInt32BigEndian(span[33..37]);
        var position = 37;
        AttestedCredential? credential = null;
        if ((flags & 0x40) != 0)
        {
            if (span.Length < position + 18)
            {
                throw Malformed("attested credential data cut short");
            }
            var aaguid = new Guid(span.Slice(position, 16), bigEndian: true);
            int idLength = BinaryPrimitives.ReadUInt16BigEndian(span.Slice(position + 16, 2));
            position += 18;
            if (idLength is 0 or > MaxCredentialIdLength || span.Length < position + idLength)
            {
                throw Malformed($"a credential id of {idLength} bytes");
            }
            var credentialId = span.Slice(position, idLength).ToArray();
            position += idLength;
            var keyLength = CborItemLength(data[position..], "credential public key");
            credential = new AttestedCredential(aaguid, credentialId, span.Slice(position, keyLength).ToArray());
            position += keyLength;
        }
        if ((flags & 0x80) != 0)
        {
            var reader = new CborReader(data[position..], CborConformanceMode.Strict, allowMultipleRootLevelValues: true);
            if (span.Length == position || reader.PeekState() != CborReaderState.StartMap)
            {
                throw Malformed("extensions that are not a map");
            }
            position += CborItemLength(data[position..], "extensions");
        }
        if (position != span.Length)
        {
            throw Malformed($"{span.Length - position} bytes after the data its flags announce");
        }
        return new AuthenticatorData(span[..32].ToArray(), flags, signCount, credential);
    }

    /// <summary>Whether the flags are consistent: the backup state needs backup eligibility (WebAuthn §6.1.3).</summary>
    public void CheckBackupFlags()
    {
        if (BackedUp && !BackupEligible)
        {
            throw new PasskeyCheckException(PasskeyChecks.Flags, "The authenticator data says backed up (BS) but not backup eligible (BE).");
        }
    }

    /// <summary>The length of the one well-formed CBOR item at the start of <paramref name="data"/>.</summary>
    private static int CborItemLength(ReadOnlyMemory<byte> data, string what)
    {
        var reader = new CborReader(data, CborConformanceMode.Strict, allowMultipleRootLevelValues: true);
        if (reader.PeekState() is CborReaderState.Finished)
        {
            throw Malformed($"no {what}");
        }
        reader.SkipValue();
        return data.Length - reader.BytesRemaining;
    }

    private static PasskeyCheckException Malformed(string what) => new(PasskeyChecks.Malformed, $"The authenticator data is malformed: {what}.");
}
