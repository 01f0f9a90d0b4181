using System.Text.Json.Nodes;
using Latchkey.Server.Features.Apps;
using Latchkey.Server.Features.Passwords;
using Latchkey.Server.Features.Users;
using Latchkey.Server.Infrastructure.Http;
using Latchkey.Server.Infrastructure.Problems;

namespace Latchkey.Server.Features.SignUp;

/// <summary>The checks every way of making an account shares: methods, user name, password, metadata.</summary>
public static class NewAccountInput
{
    public sealed record Checked(string? Username, string? FoldedUsername);

    public static Checked Check(App app, Handle handle, string? username, string? password, JsonObject? metadata, PasswordPolicy policy)
    {
        var settings = app.Settings;
        if (!handle.IsEmail && !settings.Allows(SignInMethods.SmsCode))
        {
            throw Problems.InvalidField("phone", "This app does not use phone numbers (the smsCode method is off).");
        }
        var checkedName = CheckUsername(app, username);
        if (string.IsNullOrEmpty(password))
        {
            var passwordless = handle.IsEmail ? settings.Allows(SignInMethods.EmailCode) : settings.Allows(SignInMethods.SmsCode);
            if (!passwordless)
            {
                throw Problems.InvalidField("password", "A password is required: this app signs users in with a password.");
            }
        }
        else
        {
            policy.Check(password, handle.IsEmail ? handle.Value : null);
        }
        JsonLimits.EnsureSmallObject(metadata, "metadata");
        return checkedName;
    }

    public static Checked CheckUsername(App app, string? username, string field = "username")
    {
        if (username is null)
        {
            return new Checked(null, null);
        }
        if (!app.Settings.UsernamesEnabled)
        {
            throw Problems.InvalidField(field, "This app does not use user names.");
        }
        return UserNames.TryNormalise(username, out var written, out var folded, out var problem)
            ? new Checked(written, folded)
            : throw Problems.InvalidField(field, problem);
    }
}
