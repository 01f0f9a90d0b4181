using Latchkey.Server.Features.Apps;

namespace Latchkey.Server.Features.AdminConsole;

/// <summary>The words the console uses for setting values (the seed's wording where it has one).</summary>
public static class SettingsText
{
    public static string AccessMode(string mode) => mode switch
    {
        AccessModes.Open => "Anyone without registration",
        AccessModes.Registered => "Anyone after registration and authentication",
        AccessModes.InviteOnly => "Only those added by me",
        _ => mode,
    };

    public static string Method(string method) => method switch
    {
        SignInMethods.Password => "Password",
        SignInMethods.EmailCode => "Email with a code",
        SignInMethods.SmsCode => "SMS with a code",
        _ => method,
    };
}
