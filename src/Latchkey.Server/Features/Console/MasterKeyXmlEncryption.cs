using System.Text;
using System.Xml.Linq;
using Latchkey.Server.Infrastructure.Crypto;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;

namespace Latchkey.Server.Features.AdminConsole;

/// <summary>
/// Seals the Data Protection keys (which protect console cookies and forms) at rest with a key
/// derived from the master key, like every other secret Latchkey keeps, so that the key files
/// alone do not let anyone forge a console cookie.
/// </summary>
public sealed class MasterKeyXmlEncryptor(MasterKey master) : IXmlEncryptor
{
    internal const string Purpose = "dataprotection-v1";

    public EncryptedXmlInfo Encrypt(XElement plaintextElement)
    {
        var plaintext = Encoding.UTF8.GetBytes(plaintextElement.ToString(SaveOptions.DisableFormatting));
        var sealedKey = Sealed.Seal(master.Derive(Purpose), plaintext, Purpose);
        var element = new XElement("sealedKey",
            new XComment(" Sealed with a key derived from the Latchkey master key. "),
            new XElement("value", Convert.ToBase64String(sealedKey)));
        return new EncryptedXmlInfo(element, typeof(MasterKeyXmlDecryptor));
    }
}

/// <summary>Opens what <see cref="MasterKeyXmlEncryptor"/> sealed; Data Protection creates it by the type name in the key file.</summary>
public sealed class MasterKeyXmlDecryptor(IServiceProvider services) : IXmlDecryptor
{
    public XElement Decrypt(XElement encryptedElement)
    {
        var master = services.GetRequiredService<MasterKey>();
        var sealedKey = Convert.FromBase64String(encryptedElement.Element("value")?.Value
            ?? throw new InvalidOperationException("A sealed Data Protection key has no value."));
        return XElement.Parse(Encoding.UTF8.GetString(Sealed.Open(master.Derive(MasterKeyXmlEncryptor.Purpose), sealedKey, MasterKeyXmlEncryptor.Purpose)));
    }
}
