using QRCoder;

namespace Latchkey.Server.Features.AdminConsole;

/// <summary>The common access link as a QR code, drawn on the server as SVG (no script, no image request).</summary>
public static class AccessLinkQr
{
    public static string Svg(string url)
    {
        using var generator = new QRCodeGenerator();
        using var data = generator.CreateQrCode(url, QRCodeGenerator.ECCLevel.M);
        return new SvgQRCode(data).GetGraphic(4, "#000000", "#ffffff", drawQuietZones: true, SvgQRCode.SizingMode.ViewBoxAttribute);
    }
}
